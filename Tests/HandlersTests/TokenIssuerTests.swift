import Crypto
import Foundation
import Testing

@testable import Handlers

/// A pool (with a custom and a developer-only attribute), an app client and users, for the token tests.
final class TokenFixture {
    let h: Harness
    let poolId: String
    let clientId: String

    init(client: [String: JSON] = [:], harness: Harness? = nil) throws {
        h = try harness ?? Harness()
        // Made with real key generation whatever the harness's key cache does, so another pool's key is another
        // key (`TestKeys` shares keys between pools).
        let maker = Services(
            config: h.services.config, store: h.store, clock: h.clock, logger: h.services.logger, keys: PoolKeyCache())
        let pool = try CreateUserPool(maker).run(CreateUserPoolInput(json: [
            "PoolName": "tokens",
            "Schema": [
                ["Name": "team", "AttributeDataType": "String", "Mutable": true],
                ["Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": true],
            ],
        ]))
        poolId = try #require(pool.userPool?.id)
        var input = client
        input["UserPoolId"] = .string(poolId)
        input["ClientName"] = "app"
        let created = h.ok("CreateUserPoolClient", .object(input))
        clientId = try #require(created["UserPoolClient"]?["ClientId"]?.stringValue)
    }

    var services: Services { h.services }
    var clock: TestClock { h.clock }

    func pool() throws -> UserPoolType {
        try h.store.withPool(poolId, .shared) { tx in try tx.pool() }
    }

    func client(_ id: String? = nil) throws -> UserPoolClientType {
        try h.store.withPool(poolId, .shared) { tx in try tx.client(id ?? clientId) }
    }

    static let attributes = [
        "email": "alice@example.com", "email_verified": "true", "phone_number": "+15555550100",
        "phone_number_verified": "false", "name": "Alice Liddell", "custom:team": "red", "dev:custom:secret": "s3",
        "address": "1 Rabbit Hole", "updated_at": "1789990000",
    ]

    @discardableResult
    func addUser(_ username: String = "alice", attributes: [String: String] = TokenFixture.attributes) throws -> UserRecord {
        let pool = try pool()
        let user = UserRecord(
            username: username, sub: services.random.uuid(), attributes: attributes, status: .confirmed, now: clock.now())
        try h.store.withPool(poolId, .exclusive) { tx in try tx.saveUser(user, previous: nil, in: pool) }
        return user
    }

    func user(_ username: String = "alice") throws -> UserRecord? {
        let pool = try pool()
        return try h.store.withPool(poolId, .shared) { tx in try tx.user(named: username, in: pool) }
    }

    func update(_ username: String = "alice", _ change: (inout UserRecord) -> Void) throws {
        let pool = try pool()
        try h.store.withPool(poolId, .exclusive) { tx in
            guard let old = try tx.user(named: username, in: pool) else { return }
            var user = old
            change(&user)
            try tx.saveUser(user, previous: old, in: pool)
        }
    }

    /// A sign-in as an operation does it: under the lock, issue and write the user; after it, sign.
    func signIn(_ username: String = "alice", clientId: String? = nil, services: Services? = nil) throws
        -> (result: AuthenticationResultType, unsigned: UnsignedTokens)
    {
        let services = services ?? self.services
        let pool = try pool()
        let client = try client(clientId)
        let unsigned = try h.store.withPool(poolId, .exclusive) { tx in
            let old = try #require(try tx.user(named: username, in: pool))
            var user = old
            let unsigned = try TokenIssuer(services).signIn(pool: pool, client: client, user: &user)
            try tx.saveUser(user, previous: old, in: pool)
            return unsigned
        }
        return (try unsigned.sign(services), unsigned)
    }

    /// REFRESH_TOKEN_AUTH as an operation does it.
    func refresh(_ token: String, clientId: String? = nil) throws -> (result: AuthenticationResultType, unsigned: UnsignedTokens) {
        let pool = try pool()
        let client = try client(clientId)
        let unsigned = try h.store.withPool(poolId, .exclusive) { tx in
            var (user, record) = try RefreshTokens.validate(
                token, clientId: client.clientId ?? "", in: tx, pool: pool, services: services)
            let old = user
            let unsigned = try TokenIssuer(services).refresh(pool: pool, client: client, user: &user, from: record)
            if unsigned.userChanged { try tx.saveUser(user, previous: old, in: pool) }
            return unsigned
        }
        return (try unsigned.sign(services), unsigned)
    }

    func claims(_ token: String?) throws -> [String: JSON] {
        let jwt = try JWT(parsing: try #require(token))
        try jwt.verify(with: try #require(try services.keys.keys(of: poolId, in: h.store)))
        return jwt.claims
    }
}

/// Access, ID and refresh tokens: exact claims, lifetimes from the client, refresh records stored as hashes.
struct TokenIssuerTests {
    static func isUUID(_ value: JSON?) -> Bool {
        value?.stringValue?.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil
    }

    @Test func signInIssuesCognitosClaims() throws {
        let f = try TokenFixture()
        let alice = try f.addUser()
        f.clock.advance(0.75)  // iat and auth_time are whole seconds
        let (result, _) = try f.signIn()
        let iss = JSON.string("http://127.0.0.1:8080/" + f.poolId)

        #expect(result.tokenType == "Bearer")
        #expect(result.expiresIn == 3600)
        var access = try f.claims(result.accessToken)
        var id = try f.claims(result.idToken)
        let origin = try #require(access["origin_jti"])
        #expect(Self.isUUID(origin) && Self.isUUID(access["jti"]) && Self.isUUID(access["event_id"]))
        #expect(Self.isUUID(id["jti"]) && id["jti"] != access["jti"])
        #expect(id["origin_jti"] == origin && id["event_id"] == access["event_id"])
        for name in ["origin_jti", "jti", "event_id"] {
            access.removeValue(forKey: name)
            id.removeValue(forKey: name)
        }
        #expect(access == [
            "sub": .string(alice.sub), "iss": iss, "client_id": .string(f.clientId), "token_use": "access",
            "scope": "aws.cognito.signin.user.admin", "auth_time": 1_790_000_000, "iat": 1_790_000_000,
            "exp": 1_790_003_600, "username": "alice",
        ])
        #expect(id == [
            "sub": .string(alice.sub), "aud": .string(f.clientId), "iss": iss, "cognito:username": "alice",
            "token_use": "id", "auth_time": 1_790_000_000, "iat": 1_790_000_000, "exp": 1_790_003_600,
            "email": "alice@example.com", "email_verified": true, "phone_number": "+15555550100",
            "phone_number_verified": false, "name": "Alice Liddell", "custom:team": "red",
            "address": ["formatted": "1 Rabbit Hole"], "updated_at": 1_789_990_000,
        ])

        // The refresh token is opaque; the store has only its hash, with client, origin and lifetime.
        let refresh = try #require(result.refreshToken)
        #expect(refresh.wholeMatch(of: /[A-Za-z0-9_-]{150,400}/) != nil)
        let user = try #require(try f.user())
        let records = RefreshTokens.records(of: user)
        #expect(records == [
            RefreshTokenRecord(
                hash: Hex.encode(SHA256.hash(data: Array(refresh.utf8))), clientId: f.clientId,
                originJti: try #require(origin.stringValue), issuedAt: Date(timeIntervalSince1970: 1_790_000_000.75),
                authTime: Date(timeIntervalSince1970: 1_790_000_000.75),
                expires: Date(timeIntervalSince1970: 1_790_000_000.75 + 30 * 86_400)),
        ])
        for (_, bytes) in f.h.snapshot() {
            #expect(!String(decoding: bytes, as: UTF8.self).contains(refresh), "a refresh token was stored")
        }
    }

    @Test func lifetimesComeFromTheClient() throws {
        let f = try TokenFixture(client: [
            "AccessTokenValidity": 5, "IdTokenValidity": 2, "RefreshTokenValidity": 3,
            "TokenValidityUnits": ["AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "hours"],
        ])
        try f.addUser()
        let (result, _) = try f.signIn()
        #expect(result.expiresIn == 300)
        #expect(try f.claims(result.accessToken)["exp"] == .int(1_790_000_000 + 300))
        #expect(try f.claims(result.idToken)["exp"] == .int(1_790_000_000 + 7200))
        let user = try #require(try f.user())
        let record = try #require(RefreshTokens.records(of: user).first)
        #expect(record.expires == Date(timeIntervalSince1970: 1_790_000_000 + 3 * 3600))
    }

    @Test func idTokenCarriesOnlyWhatTheClientMayRead() throws {
        let f = try TokenFixture(client: ["ReadAttributes": ["email", "custom:team"]])
        let alice = try f.addUser()
        let id = try f.claims(try f.signIn().result.idToken)
        let attributeClaims = Set(id.keys).subtracting([
            "sub", "aud", "iss", "cognito:username", "origin_jti", "event_id", "token_use", "auth_time", "exp",
            "iat", "jti",
        ])
        #expect(attributeClaims == ["email", "custom:team"])
        #expect(id["sub"] == .string(alice.sub))

        // Developer-only attributes never, even when a client lists them.
        let dev = try TokenFixture(client: ["ReadAttributes": ["dev:custom:secret", "email"]])
        try dev.addUser()
        let devId = try dev.claims(try dev.signIn().result.idToken)
        #expect(devId["dev:custom:secret"] == nil && devId["email"] == "alice@example.com")
    }

    @Test func userWithoutOptionalAttributes() throws {
        let f = try TokenFixture()
        try f.addUser("bob", attributes: [:])
        let id = try f.claims(try f.signIn("bob").result.idToken)
        for absent in ["email", "email_verified", "phone_number", "phone_number_verified", "name", "custom:team"] {
            #expect(id[absent] == nil)
        }
        #expect(id["cognito:username"] == "bob")
    }

    @Test func refreshKeepsTheOriginAndAuthTime() throws {
        let f = try TokenFixture()
        try f.addUser()
        let (first, _) = try f.signIn()
        let firstAccess = try f.claims(first.accessToken)
        f.clock.advance(1800)
        let (again, unsigned) = try f.refresh(try #require(first.refreshToken))
        #expect(again.refreshToken == nil)  // no rotation: the client keeps its refresh token
        #expect(!unsigned.userChanged)
        let access = try f.claims(again.accessToken)
        let id = try f.claims(again.idToken)
        #expect(access["origin_jti"] == firstAccess["origin_jti"] && id["origin_jti"] == firstAccess["origin_jti"])
        #expect(access["auth_time"] == 1_790_000_000 && id["auth_time"] == 1_790_000_000)
        #expect(access["iat"] == 1_790_001_800 && access["exp"] == 1_790_005_400)
        #expect(access["jti"] != firstAccess["jti"])
        #expect(RefreshTokens.records(of: try #require(try f.user())).count == 1)
    }

    @Test func refreshWithRotation() throws {
        let f = try TokenFixture(client: [
            "RefreshTokenRotation": ["Feature": "ENABLED", "RetryGracePeriodSeconds": 10],
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
        ])
        try f.addUser()
        let first = try #require(try f.signIn().result.refreshToken)
        f.clock.advance(100)
        let (rotated, unsigned) = try f.refresh(first)
        let second = try #require(rotated.refreshToken)
        #expect(second != first && unsigned.userChanged)
        let records = RefreshTokens.records(of: try #require(try f.user()))
        #expect(records.count == 2)
        #expect(Set(records.map(\.originJti)).count == 1)
        // The old one still works within the grace period, not after it; the new one lives as long as the old.
        f.clock.advance(5)
        _ = try f.refresh(first)
        f.clock.advance(10)
        #expect(throws: RefreshTokens.reused) { try f.refresh(first) }
        let latest = try #require(try f.user())
        let retired = try #require(RefreshTokens.find(first, in: latest))
        #expect(retired.replacedAt == Date(timeIntervalSince1970: 1_790_000_000 + 100))
        let newest = try #require(RefreshTokens.find(second, in: latest))
        #expect(newest.expires == Date(timeIntervalSince1970: 1_790_000_000 + 30 * 86_400))
    }

    @Test func refreshTokenRefusals() throws {
        let f = try TokenFixture()
        try f.addUser()
        let other = try #require(
            f.h.ok("CreateUserPoolClient", ["UserPoolId": .string(f.poolId), "ClientName": "other"])["UserPoolClient"]?[
                "ClientId"]?.stringValue)
        let token = try #require(try f.signIn().result.refreshToken)

        // Not ours, altered, or of another client: invalid.
        #expect(throws: RefreshTokens.invalid) { try f.refresh("not-a-token") }
        #expect(throws: RefreshTokens.invalid) { try f.refresh("") }
        var bytes = try #require(Base64URL.decode(token))
        bytes[40] ^= 1
        #expect(throws: RefreshTokens.invalid) { try f.refresh(Base64URL.encode(bytes)) }
        #expect(throws: RefreshTokens.invalid) { try f.refresh(token, clientId: other) }

        // A token of another pool, presented to this one.
        let g = try TokenFixture(harness: f.h)
        try g.addUser()
        let foreign = try #require(try g.signIn().result.refreshToken)
        #expect(throws: RefreshTokens.invalid) { try f.refresh(foreign) }

        // A well-formed token whose record is gone (user deleted and made again).
        let pool = try f.pool()
        try f.h.store.withPool(f.poolId, .exclusive) { tx in
            try tx.deleteUser(try #require(try tx.user(named: "alice", in: pool)), in: pool)
        }
        try f.addUser()
        #expect(throws: RefreshTokens.invalid) { try f.refresh(token) }

        // Expired.
        let fresh = try #require(try f.signIn().result.refreshToken)
        f.clock.advance(30 * 86_400 - 1)
        _ = try f.refresh(fresh)
        f.clock.advance(1)
        #expect(throws: RefreshTokens.invalid) { try f.refresh(fresh) }
    }

    @Test func revokedRefreshTokens() throws {
        let f = try TokenFixture()
        try f.addUser()
        let (a, unsignedA) = try f.signIn()
        let (b, _) = try f.signIn()
        let tokenA = try #require(a.refreshToken)
        let tokenB = try #require(b.refreshToken)
        let originA = try #require(unsignedA.accessClaims["origin_jti"]?.stringValue)

        var found = false
        try f.update { user in found = RefreshTokens.revoke(originJti: originA, in: &user) }
        #expect(found)
        #expect(throws: RefreshTokens.revokedError) { try f.refresh(tokenA) }
        _ = try f.refresh(tokenB)

        // A global sign-out refuses every refresh token issued before it, and a new sign-in works again.
        f.clock.advance(1)
        try f.update { user in user.signedOutAt = f.clock.now() }
        #expect(throws: RefreshTokens.revokedError) { try f.refresh(tokenB) }
        let c = try #require(try f.signIn().result.refreshToken)
        _ = try f.refresh(c)
        try f.update { user in RefreshTokens.revokeAll(in: &user) }
        #expect(throws: RefreshTokens.revokedError) { try f.refresh(c) }
    }

    @Test func expiredRecordsArePrunedAndTheCountIsBounded() throws {
        let f = try TokenFixture(client: ["RefreshTokenValidity": 1, "TokenValidityUnits": ["RefreshToken": "hours"],
                                          "AccessTokenValidity": 1, "IdTokenValidity": 1])
        try f.addUser()
        _ = try f.signIn()
        f.clock.advance(3600 + RefreshTokens.retention - 1)
        _ = try f.signIn()
        #expect(RefreshTokens.records(of: try #require(try f.user())).count == 2)  // kept a day past expiry
        f.clock.advance(2)
        _ = try f.signIn()
        #expect(RefreshTokens.records(of: try #require(try f.user())).count == 2)  // the first one is gone

        var user = try #require(try f.user())
        for i in 0..<(RefreshTokens.maxPerUser + 5) {
            RefreshTokens.add(
                RefreshTokenRecord(
                    hash: String(i), clientId: f.clientId, originJti: "o\(i)", issuedAt: f.clock.now() + Double(i),
                    authTime: f.clock.now(), expires: f.clock.now() + 3600),
                to: &user, now: f.clock.now())
        }
        let kept = RefreshTokens.records(of: user)
        #expect(kept.count == RefreshTokens.maxPerUser)
        #expect(kept.last?.originJti == "o\(RefreshTokens.maxPerUser + 4)")
        #expect(kept.first?.originJti == "o5")
    }

    @Test func beyondTheCapEndedSessionsGoBeforeLiveOnes() throws {
        let f = try TokenFixture()
        try f.addUser()
        var user = try #require(try f.user())
        let now = f.clock.now()
        user.signedOutAt = now - 10
        func record(_ i: Int, revoked: Bool = false, replacedAt: Date? = nil, expires: Date? = nil, authTime: Date? = nil)
            -> RefreshTokenRecord
        {
            RefreshTokenRecord(
                hash: String(i), clientId: f.clientId, originJti: "o\(i)", issuedAt: now + Double(i),
                authTime: authTime ?? now, expires: expires ?? now + 3600, revoked: revoked, replacedAt: replacedAt)
        }
        // Among the oldest sessions, three ended: signed out (signed in before the global sign-out), revoked, rotated
        // out past its grace period. One rotated out but still in its grace period is live.
        for i in 0..<3 { RefreshTokens.add(record(i), to: &user, now: now) }
        RefreshTokens.add(record(3, authTime: now - 20), to: &user, now: now)
        RefreshTokens.add(record(4), to: &user, now: now)
        RefreshTokens.add(record(5, revoked: true), to: &user, now: now)
        RefreshTokens.add(record(6, replacedAt: now - 60, expires: now - 1), to: &user, now: now)
        RefreshTokens.add(record(7, replacedAt: now - 1, expires: now + 30), to: &user, now: now)
        for i in 8..<(RefreshTokens.maxPerUser + 4) { RefreshTokens.add(record(i), to: &user, now: now) }
        // Four too many: the three ended ones, then the oldest live one; the rest stay in the order they were issued.
        let kept = RefreshTokens.records(of: user).map(\.originJti)
        #expect(kept.count == RefreshTokens.maxPerUser)
        #expect(kept == ["o1", "o2", "o4"] + (7..<(RefreshTokens.maxPerUser + 4)).map { "o\($0)" })
    }

    @Test func issuerIgnoresATrailingSlashInTheBase() throws {
        let config = Config(dataDirectory: URL(fileURLWithPath: "/tmp"), issuerBaseURL: "https://id.example.com/")
        #expect(TokenIssuer.issuer(poolId: "eu-west-1_abc", config: config) == "https://id.example.com/eu-west-1_abc")
    }
}
