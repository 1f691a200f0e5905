import Foundation
import Testing

@testable import Handlers

/// Helpers the sign-in tests share (InitiateAuth, AdminInitiateAuth, the challenge answers, ChangePassword).
enum SignIns {
    static let password = AdminUsers.password
    static let newPassword = "N3w-Passw0rd!"
    static let incorrect = "Incorrect username or password."
    static let exceeded = "Password attempts exceeded"
    /// An app client that allows both password flows and refresh.
    static let flows: [String: JSON] = [
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    ]
    /// Only the public password flow and refresh.
    static let publicFlows: [String: JSON] = [
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    ]

    /// `publicFlows`, rotating refresh tokens without a grace period.
    static let rotating: [String: JSON] = publicFlows.merging([
        "RefreshTokenRotation": ["Feature": "ENABLED", "RetryGracePeriodSeconds": 0]
    ]) { _, new in new }

    /// `flows` and `extra` CreateUserPoolClient members.
    static func flows(_ extra: [String: JSON]) -> [String: JSON] {
        flows.merging(extra) { _, new in new }
    }

    /// A pool, an app client in it and ways to sign in through it.
    struct Setup {
        let h: Harness
        let poolId: String
        let client: SignUps.Client

        /// A user written straight into the store (`AdminUsers.user`), password `SignIns.password`.
        @discardableResult
        func addUser(
            _ username: String = "alice", _ attributes: [String: String] = [:], status: UserStatusType = .confirmed,
            password: String? = SignIns.password, _ adjust: (inout UserRecord) -> Void = { _ in }
        ) throws -> UserRecord {
            try AdminUsers.user(h, poolId, username, attributes, status: status, password: password, adjust)
        }

        /// The user `name` names, as stored.
        func user(_ name: String = "alice") throws -> UserRecord {
            try #require(try AdminUsers.stored(h, poolId, name))
        }

        /// AuthParameters USERNAME and PASSWORD, and SECRET_HASH when the client has a secret.
        func parameters(_ username: String, _ password: String) -> JSON {
            var p: [String: JSON] = ["USERNAME": .string(username), "PASSWORD": .string(password)]
            if let hash = client.secretHash(username) { p["SECRET_HASH"] = .string(hash) }
            return .object(p)
        }

        /// An InitiateAuth input.
        func initiate(_ username: String = "alice", _ password: String = SignIns.password,
                      flow: String = "USER_PASSWORD_AUTH") -> JSON {
            [
                "ClientId": .string(client.id), "AuthFlow": .string(flow),
                "AuthParameters": parameters(username, password),
            ]
        }

        /// An AdminInitiateAuth input.
        func admin(_ username: String = "alice", _ password: String = SignIns.password,
                   flow: String = "ADMIN_USER_PASSWORD_AUTH") -> JSON {
            [
                "UserPoolId": .string(poolId), "ClientId": .string(client.id), "AuthFlow": .string(flow),
                "AuthParameters": parameters(username, password),
            ]
        }

        /// A REFRESH_TOKEN_AUTH input; `hashName` is the name the SECRET_HASH is computed over (for clients with one).
        func refresh(_ token: String, hashName: String? = nil, flow: String = "REFRESH_TOKEN_AUTH") -> JSON {
            var p: [String: JSON] = ["REFRESH_TOKEN": .string(token)]
            if let hashName, let hash = client.secretHash(hashName) { p["SECRET_HASH"] = .string(hash) }
            return ["ClientId": .string(client.id), "AuthFlow": .string(flow), "AuthParameters": .object(p)]
        }

        /// GetTokensFromRefreshToken's input for `token`, with the client's secret when it has one (`secret` instead
        /// when given).
        func getTokens(_ token: String, secret: String? = nil) -> JSON {
            var input: [String: JSON] = ["ClientId": .string(client.id), "RefreshToken": .string(token)]
            if let given = secret ?? client.secret { input["ClientSecret"] = .string(given) }
            return .object(input)
        }

        /// Signs in with USER_PASSWORD_AUTH and returns the AuthenticationResult.
        @discardableResult
        func signIn(_ username: String = "alice", _ password: String = SignIns.password,
                    sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
            h.ok("InitiateAuth", initiate(username, password), sourceLocation: sourceLocation)["AuthenticationResult"]
                ?? .null
        }

        /// InitiateAuth expecting `type` (and `message`); returns the message.
        @discardableResult
        func refused(_ input: JSON, _ type: String = "NotAuthorizedException", _ message: String? = nil,
                     operation: String = "InitiateAuth", sourceLocation: SourceLocation = #_sourceLocation) -> String {
            let got = h.fails(operation, input, type, sourceLocation: sourceLocation)
            if let message { #expect(got == message, sourceLocation: sourceLocation) }
            return got
        }

        /// The verified claims of one of this pool's tokens.
        func claims(_ token: JSON?) throws -> [String: JSON] {
            let jwt = try JWT(parsing: try #require(token?.stringValue))
            try jwt.verify(with: try #require(try h.services.keys.keys(of: poolId, in: h.store)))
            return jwt.claims
        }
    }

    static func setUp(_ pool: [String: JSON] = [:], client: [String: JSON] = SignIns.flows,
                      harness: Harness? = nil) throws -> Setup {
        let h = try harness ?? Harness()
        let (poolId, client) = SignUps.setUp(h, pool, client: client)
        return Setup(h: h, poolId: poolId, client: client)
    }
}

/// The shared sign-in machinery: the lockout on an injected clock, the challenge session, rehashing, timing parity.
struct SignInTests {
    // MARK: Lockout

    @Test func lockoutDurationsDoubleFromOneSecondToFifteenMinutes() {
        #expect((0..<5).map { SignIn.Lockout.duration(afterFailures: $0) } == [nil, nil, nil, nil, nil])
        #expect((5...15).map { SignIn.Lockout.duration(afterFailures: $0) }
                == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900])
        #expect(SignIn.Lockout.duration(afterFailures: 16) == 900)
        #expect(SignIn.Lockout.duration(afterFailures: 10_000) == 900)
    }

    /// A sign-in changes only its user's record (failed attempts, refresh tokens): it holds that user's lock and the
    /// pool's LOCK_SH, so it completes while a reader holds LOCK_SH, where a LOCK_EX writer would wait.
    @Test func signInsWriteUnderTheUsersLockBesideReaders() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let reader = open(s.h.store.poolDirectory(s.poolId) + "/lock", O_RDONLY)
        defer { close(reader) }
        #expect(flock(reader, LOCK_SH) == 0)
        let done = DispatchSemaphore(value: 0)
        let outcomes = LockedBox<[String]>([])
        // The harness is used from this one other thread only while the test thread merely waits.
        nonisolated(unsafe) let setup = s
        DispatchQueue.global().async {
            let wrong = setup.h.call("InitiateAuth", setup.initiate("alice", "wrong"))
            let right = setup.h.call("InitiateAuth", setup.initiate())
            outcomes.mutate {
                $0 = [wrong.body["__type"]?.stringValue ?? "-", right.body["AuthenticationResult"] == nil ? "-" : "tokens"]
            }
            done.signal()
        }
        let finished = done.wait(timeout: .now() + 20) == .success
        flock(reader, LOCK_UN)
        if !finished { done.wait() }
        #expect(finished, "a sign-in waited for the pool's lock")
        #expect(outcomes.value == ["NotAuthorizedException", "tokens"])
        // Both were recorded: the failure counted, then cleared by the success, whose refresh token is kept.
        let user = try s.user()
        #expect(user.failedSignIns == 0)
        #expect(!user.refreshTokens.isEmpty)
    }

    @Test func fiveFailuresLockEvenTheRightPassword() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        for attempt in 1...5 {
            s.refused(s.initiate("alice", "wrong-\(attempt)"), "NotAuthorizedException", SignIns.incorrect)
        }
        var user = try s.user()
        #expect(user.failedSignIns == 5)
        #expect(user.lockedUntil == s.h.clock.now() + 1)

        // Locked: the right password is refused too, and a refused attempt is not counted.
        let before = s.h.snapshot()
        s.refused(s.initiate(), "NotAuthorizedException", SignIns.exceeded)
        s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.exceeded)
        s.refused(s.admin(), "NotAuthorizedException", SignIns.exceeded, operation: "AdminInitiateAuth")
        #expect(s.h.snapshot() == before)

        // One second later the lock is over; the right password signs in and clears the counters.
        s.h.clock.advance(1)
        #expect(s.signIn()["AccessToken"] != nil)
        user = try s.user()
        #expect(user.failedSignIns == 0 && user.lockedUntil == nil)
    }

    @Test func eachFurtherFailureDoublesTheLockout() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        for _ in 1...5 { s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect) }
        var expected: TimeInterval = 1
        for failures in 6...9 {
            s.h.clock.advance(expected - 0.5)
            s.refused(s.initiate(), "NotAuthorizedException", SignIns.exceeded)
            s.h.clock.advance(0.5)
            // The lock is over: a wrong password is checked again, counted and locks twice as long.
            s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect)
            expected *= 2
            let user = try s.user()
            #expect(user.failedSignIns == failures)
            #expect(user.lockedUntil == s.h.clock.now() + expected)
        }
    }

    @Test func theLockoutStopsGrowingAtFifteenMinutes() throws {
        let s = try SignIns.setUp()
        try s.addUser { $0.failedSignIns = 40 }
        s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect)
        #expect(try s.user().lockedUntil == s.h.clock.now() + 900)
        s.h.clock.advance(899)
        s.refused(s.initiate(), "NotAuthorizedException", SignIns.exceeded)
        s.h.clock.advance(1)
        s.signIn()
        #expect(try s.user().failedSignIns == 0)
    }

    @Test func aSuccessResetsTheCount() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        for _ in 1...4 { s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect) }
        s.signIn()
        #expect(try s.user().failedSignIns == 0)
        // Four more failures are again only four: no lock.
        for _ in 1...4 { s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect) }
        #expect(try s.user().lockedUntil == nil)
        s.signIn()
    }

    @Test func failuresCountAcrossFlowsAndAliases() throws {
        let s = try SignIns.setUp(["AliasAttributes": ["email"]])
        try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"])
        s.refused(s.initiate("alice", "wrong"))
        s.refused(s.initiate("ALICE@example.com", "wrong"))
        s.refused(s.admin("alice", "wrong"), operation: "AdminInitiateAuth")
        s.refused(s.admin("alice@example.com", "wrong"), operation: "AdminInitiateAuth")
        s.refused(s.initiate("alice", "wrong"), "NotAuthorizedException", SignIns.incorrect)
        s.refused(s.initiate("alice@example.com"), "NotAuthorizedException", SignIns.exceeded)
    }

    @Test func theCountersLiveInTheStoreForEveryWorker() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        for _ in 1...5 { s.refused(s.initiate("alice", "wrong")) }
        // Another worker process: its own services over the same data folder and clock.
        let other = Service(
            services: Services(
                config: s.h.services.config, store: try Store(root: s.h.dir.path), clock: s.h.clock,
                logger: s.h.services.logger, passwords: s.h.services.passwords, keys: s.h.services.keys),
            authenticator: AllowAll())
        let response = other.handle(
            Request(
                method: "POST", path: "/",
                headers: ["X-Amz-Target": Service.targetPrefix + "InitiateAuth",
                          "Content-Type": "application/x-amz-json-1.1"],
                body: s.initiate().serialized()))
        let body = try JSON.parse(response.body)
        #expect(response.status == 400)
        #expect(body["message"] == .string(SignIns.exceeded))
    }

    // MARK: Unknown users take as long as wrong passwords

    @Test func theDummyHashHasTheConfiguredCostAndMatchesNothing() throws {
        let h = try Harness()
        let signIn = SignIn(h.services, .client("x"))
        let dummy = signIn.dummyHash
        #expect(!h.services.passwords.needsRehash(dummy))
        #expect(!h.services.passwords.verify("", against: dummy))
        #expect(!h.services.passwords.verify(SignIns.password, against: dummy))
        let real = try h.services.passwords.hash(SignIns.password, random: h.services.random)
        #expect(PHC(dummy)?.parameters == PHC(real)?.parameters)
        #expect(PHC(dummy)?.saltLength == PHC(real)?.saltLength && PHC(dummy)?.hashLength == PHC(real)?.hashLength)
    }

    // MARK: Rehashing

    @Test func aWeakerHashIsReplacedAtTheNextSignIn() throws {
        let s = try SignIns.setUp()
        let weak = try PasswordHasher(.init(memoryKiB: 32, iterations: 1, allowWeakParameters: true))
        let old = try weak.hash(SignIns.password, random: s.h.services.random)
        let created = try s.addUser { $0.passwordHash = old }
        #expect(s.h.services.passwords.needsRehash(old))
        s.h.clock.advance(60)

        // A wrong password changes nothing but the counter.
        s.refused(s.initiate("alice", "wrong"))
        #expect(try s.user().passwordHash == old)

        s.signIn()
        let new = try #require(try s.user().passwordHash)
        #expect(new != old && !s.h.services.passwords.needsRehash(new))
        #expect(s.h.services.passwords.verify(SignIns.password, against: new))
        #expect(try s.user().modified == created.modified)  // a sign-in is not a change of the user's data
        s.signIn()
        #expect(try s.user().passwordHash == new)
    }

    /// Draws like the system's, but the first time a salt (16 bytes) is drawn it runs `hook` first: another worker
    /// acting between a password check and the exclusive lock, on cue.
    final class HookedRandom: RandomSource, @unchecked Sendable {
        var hook: (() -> Void)?
        func bytes(_ count: Int) -> [UInt8] {
            if count == 16, let hook {
                self.hook = nil
                hook()
            }
            return SystemRandom().bytes(count)
        }
    }

    @Test func aConcurrentRehashIsCheckedAgainRatherThanCountedAsAFailure() throws {
        let s = try SignIns.setUp()
        let weak = try PasswordHasher(.init(memoryKiB: 32, iterations: 1, allowWeakParameters: true))
        try s.addUser { $0.passwordHash = try? weak.hash(SignIns.password, random: SystemRandom()) }
        let random = HookedRandom()
        let h = s.h.services
        let services = Services(
            config: h.config, store: h.store, clock: h.clock, random: random, logger: h.logger, sender: h.sender,
            passwords: h.passwords, keys: h.keys)
        // This sign-in's rehash draws a salt; just before, "another worker" signs in and rehashes first.
        var theirs: String?
        random.hook = {
            theirs = try? h.passwords.hash(SignIns.password, random: SystemRandom())
            _ = try? h.store.changeUser(s.poolId, "alice") { user, _ in user.passwordHash = theirs }
        }
        let out = try InitiateAuth(services).run(InitiateAuthInput(json: s.initiate()))
        #expect(out.authenticationResult?.accessToken != nil)
        let user = try s.user()
        #expect(theirs != nil && user.passwordHash == theirs && user.failedSignIns == 0)
    }

    // MARK: The challenge session

    func session(_ s: SignIns.Setup, user: UserRecord, validity: Int = 180) throws -> (AuthSession, String) {
        let client = try Clients.storedClient(s.h, s.poolId, s.client.id)
        let session = AuthSession(
            challenge: .newPasswordRequired, user: user, poolId: s.poolId, client: client, now: s.h.clock.now())
        return (session, try session.sealed(s.h.services))
    }

    @Test func aSessionOpensToWhatItWasMadeFrom() throws {
        let s = try SignIns.setUp()
        let user = try s.addUser(status: .forceChangePassword)
        let (session, sealed) = try session(s, user: user)
        #expect(session.expires == s.h.clock.now() + 180)
        #expect(AuthSession.open(sealed, secret: s.h.store.secret) == session)
        #expect(session.matches(user))
        #expect(sealed.utf8.count >= 20 && sealed.utf8.count <= 2048)
        #expect(!sealed.contains("alice") && !sealed.contains(user.sub) && !sealed.contains(s.poolId))
        // Every session is new, even for the same user at the same instant.
        #expect(try session.sealed(s.h.services) != sealed)
    }

    @Test func aSessionIsCheckedAgainstPoolClientChallengeAndClock() throws {
        let s = try SignIns.setUp()
        let user = try s.addUser(status: .forceChangePassword)
        let (_, sealed) = try session(s, user: user)
        let secret = s.h.store.secret
        func check(_ text: String?, pool: String? = nil, client: String? = nil,
                   challenge: ChallengeNameType = .newPasswordRequired) throws(AWSError) {
            _ = try AuthSession.check(text, poolId: pool ?? s.poolId, clientId: client ?? s.client.id,
                                      challenge: challenge, secret: secret, now: s.h.clock.now())
        }
        try check(sealed)
        #expect(throws: AuthSession.invalid) { try check(nil) }
        #expect(throws: AuthSession.invalid) { try check("not-a-session-at-all-0123456789") }
        #expect(throws: AuthSession.invalid) { try check(sealed, pool: "us-east-1_other") }
        #expect(throws: AuthSession.invalid) { try check(sealed, client: "otherclient") }
        #expect(throws: AuthSession.invalid) { try check(sealed, challenge: .smsMfa) }
        // Any altered character, and another deployment's secret, are refused.
        var bytes = Array(sealed.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: AuthSession.invalid) { try check(String(decoding: bytes, as: UTF8.self)) }
        #expect(AuthSession.open(sealed, secret: Array(repeating: 7, count: 32)) == nil)
        // A refresh token is not a session, nor a session a refresh token.
        let (token, _) = try RefreshTokens.newToken(poolId: s.poolId, username: "alice", services: s.h.services)
        #expect(throws: AuthSession.invalid) { try check(token) }
        #expect(RefreshTokens.locate(sealed, secret: secret) == nil)

        s.h.clock.advance(179)
        try check(sealed)
        s.h.clock.advance(1)
        #expect(throws: AuthSession.expired) { try check(sealed) }
    }

    @Test func aSessionIsBoundToThePasswordItWasMadeFor() throws {
        let s = try SignIns.setUp()
        let user = try s.addUser(status: .forceChangePassword)
        let (session, _) = try session(s, user: user)
        var changed = user
        changed.passwordHash = try s.h.services.passwords.hash("Other-passw0rd", random: s.h.services.random)
        #expect(!session.matches(changed))
        var other = user
        other.sub = s.h.services.random.uuid()
        #expect(!session.matches(other))
    }
}
