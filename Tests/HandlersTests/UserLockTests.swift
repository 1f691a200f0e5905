import Foundation
import Testing

@testable import Handlers

#if canImport(Glibc)
import Glibc
#endif

/// Changes that write one user's record alone run under the user's lock (the signed-in user's own through
/// `TokenCheck.changeUser`): the pool's `LOCK_SH` plus the user's stripe, so they complete while another transaction
/// holds the pool's `LOCK_SH`, which a `LOCK_EX` change would wait for.
struct UserLockTests {
    /// Runs `calls` on another thread while this one holds the pool's `LOCK_SH`; returns each answer's `__type` ("ok"
    /// for a success), or nil when they did not finish within 20 s (they waited for the pool's lock).
    static func besideAReader(_ s: SelfService, _ calls: @escaping (Harness) -> [(status: Int, body: JSON)])
        -> [String]?
    {
        besideAReader(s.h, s.f.poolId, calls)
    }

    static func besideAReader(
        _ h: Harness, _ poolId: String, _ calls: @escaping (Harness) -> [(status: Int, body: JSON)]
    ) -> [String]? {
        let reader = open(h.store.poolDirectory(poolId) + "/lock", O_RDONLY)
        defer { close(reader) }
        #expect(flock(reader, LOCK_SH) == 0)
        let done = DispatchSemaphore(value: 0)
        let outcomes = LockedBox<[String]>([])
        // The harness is used from this one other thread only while the test thread merely waits.
        nonisolated(unsafe) let harness = h
        nonisolated(unsafe) let run = calls
        Thread {
            let answers = run(harness)
            outcomes.mutate { $0 = answers.map { $0.body["__type"]?.stringValue ?? "ok" } }
            done.signal()
        }.start()
        let finished = done.wait(timeout: .now() + 20) == .success
        flock(reader, LOCK_UN)
        if !finished { done.wait() }
        return finished ? outcomes.value : nil
    }

    @Test func codesAreAskedForAndCheckedBesideReaders() throws {
        let s = try SelfService()
        try s.f.update { $0.attributes["email_verified"] = "false" }
        let ask = s.input(["AttributeName": "email"])
        let outcomes = Self.besideAReader(s) { h in
            let asked = h.call("GetUserAttributeVerificationCode", ask)
            let code = h.outbox().last?.code ?? "-"
            let wrong = h.call("VerifyUserAttribute", s.input([
                "AttributeName": "email", "Code": .string(VerifyUserAttributeTests.wrong(code))]))
            let right = h.call("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(code)]))
            return [asked, wrong, right]
        }
        #expect(outcomes == ["ok", "CodeMismatchException", "ok"])
        #expect(try s.alice().emailVerified)
    }

    @Test func passwordChangesAndSignOutsRunBesideReaders() throws {
        let s = try SelfService()
        let outcomes = Self.besideAReader(s) { h in
            [h.call("ChangePassword", s.input(["ProposedPassword": "N3w-Passw0rd!"])),
             h.call("GlobalSignOut", s.input())]
        }
        #expect(outcomes == ["ok", "ok"])
        let alice = try s.alice()
        #expect(alice.passwordHash != nil && alice.signedOutAt != nil)
    }

    @Test func recoveryAndSignUpCodesAreIssuedBesideReaders() throws {
        let r = try Recovery()
        try r.addUser()
        let outcomes = Self.besideAReader(r.h, r.poolId) { h in
            [h.call("ForgotPassword", ["ClientId": .string(r.clientId), "Username": "alice"])]
        }
        #expect(outcomes == ["ok"])
        #expect(try r.user().codes[CodePurpose.forgotPassword.key] != nil)

        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "ann@example.com")
        let resent = Self.besideAReader(h, poolId) { h in
            [h.call("ResendConfirmationCode", client.input("ann@example.com"))]
        }
        #expect(resent == ["ok"])
        #expect(h.outbox().count == 2)
    }

    @Test func signUpsAreConfirmedBesideReaders() throws {
        // Email as the username: confirming verifies it, and no alias entry changes.
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "ann@example.com")
        let code = try #require(SignUps.lastCode(h))
        let outcomes = Self.besideAReader(h, poolId) { h in
            [h.call("ConfirmSignUp", client.input("ann@example.com", [
                "ConfirmationCode": .string(VerifyUserAttributeTests.wrong(code))])),
             h.call("ConfirmSignUp", client.input("ann@example.com", ["ConfirmationCode": .string(code)]))]
        }
        #expect(outcomes == ["CodeMismatchException", "ok"])
        let ann = try #require(try SignUps.user(h, poolId, "ann@example.com"))
        #expect(ann.status == .confirmed && ann.attributes["email_verified"] == "true" && ann.codes.isEmpty)
    }

    @Test func attributesAreDeletedBesideReaders() throws {
        let s = try SelfService()
        let outcomes = Self.besideAReader(s) { h in
            [h.call("DeleteUserAttributes", s.input(["UserAttributeNames": ["name"]])),
             h.call("AdminDeleteUserAttributes", AdminUsers.ids(s.f.poolId, "alice", ["UserAttributeNames": ["custom:team"]]))]
        }
        #expect(outcomes == ["ok", "ok"])
        let alice = try s.alice()
        #expect(alice.attributes["name"] == nil && alice.attributes["custom:team"] == nil)
        #expect(alice.attributes["address"] == "1 Rabbit Hole")
    }

    @Test func newPasswordChallengesAreAnsweredBesideReaders() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try RespondToAuthChallengeTests.session(s)
        let answer = RespondToAuthChallengeTests.answer(s, session: session)
        let outcomes = Self.besideAReader(s.h, s.poolId) { h in [h.call("RespondToAuthChallenge", answer)] }
        #expect(outcomes == ["ok"])
        let alice = try s.user()
        #expect(alice.status == .confirmed && alice.refreshTokens.count == 1)
    }

    @Test func rotatingRefreshesAndRevocationsRunBesideReaders() throws {
        let s = try SignIns.setUp(client: SignIns.rotating)
        try s.addUser()
        let first = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let refresh = s.getTokens(first)
        let clientId = s.client.id
        let outcomes = Self.besideAReader(s.h, s.poolId) { h in
            let rotated = h.call("GetTokensFromRefreshToken", refresh)
            let second = rotated.body["AuthenticationResult"]?["RefreshToken"]?.stringValue ?? "-"
            let revoked = h.call("RevokeToken", RevokeTokenTests.input(second, clientId))
            return [rotated, revoked]
        }
        #expect(outcomes == ["ok", "ok"])
        #expect(RefreshTokens.records(of: try s.user()).allSatisfy(\.revoked))
    }
}
