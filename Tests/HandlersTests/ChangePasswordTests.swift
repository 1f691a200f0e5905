import Foundation
import Testing

@testable import Handlers

struct ChangePasswordTests {
    static let limit = "Password attempts exceeded"

    /// A signed-in user `alice` and her access token.
    static func signedIn(_ pool: [String: JSON] = [:]) throws -> (SignIns.Setup, String) {
        let s = try SignIns.setUp(pool)
        try s.addUser()
        return (s, try #require(s.signIn()["AccessToken"]?.stringValue))
    }

    static func input(_ token: String, previous: String? = SignIns.password,
                      proposed: String = SignIns.newPassword) -> JSON {
        var o: [String: JSON] = ["AccessToken": .string(token), "ProposedPassword": .string(proposed)]
        if let previous { o["PreviousPassword"] = .string(previous) }
        return .object(o)
    }

    // MARK: Success

    @Test func changesThePassword() throws {
        let (s, token) = try Self.signedIn()
        let before = try s.user()
        s.h.clock.advance(30)
        #expect(s.h.ok("ChangePassword", Self.input(token)) == [:])
        let user = try s.user()
        #expect(user.passwordHash != before.passwordHash && user.modified == s.h.clock.now())
        #expect(user.failedSignIns == 0)
        // The old password no longer signs in; the new one does; the token is still good.
        s.refused(s.initiate(), "NotAuthorizedException", SignIns.incorrect)
        s.signIn("alice", SignIns.newPassword)
        #expect(try TokenCheck.authorize(token, s.h.services) { access, _ in access.user.sub } == user.sub)
    }

    @Test func aSuccessClearsEarlierFailures() throws {
        let (s, token) = try Self.signedIn()
        for _ in 1...3 { s.refused(s.initiate("alice", "wrong")) }
        s.h.ok("ChangePassword", Self.input(token))
        #expect(try s.user().failedSignIns == 0)
    }

    @Test func aUserWithoutAPasswordNeedsNoPreviousOne() throws {
        let (s, token) = try Self.signedIn()
        try s.h.store.changeUser(s.poolId, "alice") { user, _ in user.passwordHash = nil }
        s.h.ok("ChangePassword", Self.input(token, previous: nil))
        s.signIn("alice", SignIns.newPassword)
    }

    @Test func queryForm() throws {
        let (s, token) = try Self.signedIn()
        let (status, body) = s.h.query("ChangePassword", [
            ("AccessToken", token), ("PreviousPassword", SignIns.password), ("ProposedPassword", SignIns.newPassword),
        ])
        #expect(status == 200 && body == [:])
        s.signIn("alice", SignIns.newPassword)
    }

    // MARK: The previous password and the lockout

    @Test func aWrongPreviousPasswordIsRefusedAndCounted() throws {
        let (s, token) = try Self.signedIn()
        let hash = try s.user().passwordHash
        s.refused(Self.input(token, previous: "wrong"), "NotAuthorizedException", SignIns.incorrect,
                  operation: "ChangePassword")
        let user = try s.user()
        #expect(user.passwordHash == hash && user.failedSignIns == 1)
        s.signIn()
    }

    @Test func repeatedWrongPasswordsLockChangePasswordAndSignInAlike() throws {
        let (s, token) = try Self.signedIn()
        for _ in 1...5 {
            s.refused(Self.input(token, previous: "wrong"), "NotAuthorizedException", SignIns.incorrect,
                      operation: "ChangePassword")
        }
        let before = s.h.snapshot()
        s.refused(Self.input(token), "NotAuthorizedException", Self.limit, operation: "ChangePassword")
        s.refused(s.initiate(), "NotAuthorizedException", SignIns.exceeded)
        #expect(s.h.snapshot() == before)
        s.h.clock.advance(1)
        s.h.ok("ChangePassword", Self.input(token))
    }

    @Test func signInFailuresLockChangePasswordToo() throws {
        let (s, token) = try Self.signedIn()
        for _ in 1...5 { s.refused(s.initiate("alice", "wrong")) }
        s.refused(Self.input(token), "NotAuthorizedException", Self.limit, operation: "ChangePassword")
    }

    @Test func aHashChangedMeanwhileIsCheckedAgain() throws {
        let (s, token) = try Self.signedIn()
        let random = SignInTests.HookedRandom()
        let h = s.h.services
        let services = Services(
            config: h.config, store: h.store, clock: h.clock, random: random, logger: h.logger, sender: h.sender,
            passwords: h.passwords, keys: h.keys)
        // While the new password is hashed, another worker rehashes the (same) old one.
        random.hook = {
            let theirs = try? h.passwords.hash(SignIns.password, random: SystemRandom())
            _ = try? h.store.changeUser(s.poolId, "alice") { user, _ in user.passwordHash = theirs }
        }
        _ = try ChangePassword(services).run(ChangePasswordInput(json: Self.input(token)))
        #expect(random.hook == nil)
        #expect(try s.user().failedSignIns == 0)
        s.signIn("alice", SignIns.newPassword)

        // Changed to another password meanwhile: checked again, the previous password is now wrong.
        random.hook = {
            let theirs = try? h.passwords.hash("Adm1n-chosen!", random: SystemRandom())
            _ = try? h.store.changeUser(s.poolId, "alice") { user, _ in user.passwordHash = theirs }
        }
        let again = try ChangePasswordInput(json: Self.input(token, previous: SignIns.newPassword))
        #expect(throws: SignIn.incorrect) { try ChangePassword(services).run(again) }
        #expect(try s.user().failedSignIns == 1)
        s.signIn("alice", "Adm1n-chosen!")
    }

    @Test func thePreviousPasswordIsRequiredWhenThereIsOne() throws {
        let (s, token) = try Self.signedIn()
        Clients.refused(s.h, "ChangePassword", Self.input(token, previous: nil), "InvalidParameterException",
                        "PreviousPassword is required: the user has a password.")
    }

    // MARK: The proposed password

    @Test func thePolicyIsCheckedFirst() throws {
        let (s, token) = try Self.signedIn(["Policies": ["PasswordPolicy": ["MinimumLength": 12]]])
        Clients.refused(s.h, "ChangePassword", Self.input(token, proposed: "Sh0rt-pass!"), "InvalidPasswordException",
                        "Password does not conform to policy: Password not long enough")
        // A weak proposal with a wrong previous password costs no attempt.
        Clients.refused(s.h, "ChangePassword", Self.input(token, previous: "wrong", proposed: "short"),
                        "InvalidPasswordException", "Password does not conform to policy: Password not long enough")
        #expect(try s.user().failedSignIns == 0)
    }

    @Test func modelConstraints() throws {
        let (s, token) = try Self.signedIn()
        let message = Clients.refused(s.h, "ChangePassword", Self.input(token, proposed: " Leading-Sp4ce"),
                                      "InvalidParameterException")
        #expect(message.contains("proposedPassword"))
        Clients.refused(s.h, "ChangePassword", ["ProposedPassword": .string(SignIns.newPassword)],
                        "InvalidParameterException")
    }

    // MARK: Password history

    @Test func theCurrentPasswordIsRefusedOnceHistoryIsKept() throws {
        let (s, token) = try Self.signedIn(Histories.pool(1))
        let hash = try s.user().passwordHash
        Clients.refused(s.h, "ChangePassword", Self.input(token, proposed: SignIns.password),
                        "PasswordHistoryPolicyViolationException", Histories.violation(1))
        #expect(try s.user().passwordHash == hash)
        s.signIn()
    }

    @Test func aPasswordWithinTheHistoryIsRefusedAndOneBeyondItAccepted() throws {
        let (s, token) = try Self.signedIn(Histories.pool(3))
        let older = try Histories.hashes(s.h)
        try s.h.store.changeUser(s.poolId, "alice") { user, _ in user.previousPasswordHashes = older }
        // The last 3: the current password and the two before it.
        for reused in [SignIns.password, Histories.older[0], Histories.older[1]] {
            Clients.refused(s.h, "ChangePassword", Self.input(token, proposed: reused),
                            "PasswordHistoryPolicyViolationException", Histories.violation(3))
        }
        #expect(try s.user().previousPasswordHashes == older)
        s.h.ok("ChangePassword", Self.input(token, proposed: Histories.older[2]))
        let user = try s.user()
        #expect(Histories.remembered(s.h, user, among: [SignIns.password] + Histories.older)
                == [Histories.older[2], SignIns.password, Histories.older[0]])
        #expect(user.failedSignIns == 0)
        s.signIn("alice", Histories.older[2])
        // The password just replaced is now the most recent earlier one.
        Clients.refused(s.h, "ChangePassword",
                        Self.input(token, previous: Histories.older[2], proposed: SignIns.password),
                        "PasswordHistoryPolicyViolationException", Histories.violation(3))
    }

    @Test func withoutAHistorySizeAPasswordMayBeReused() throws {
        for size in [nil, 0] as [Int?] {
            let (s, token) = try Self.signedIn(Histories.pool(size))
            s.h.ok("ChangePassword", Self.input(token, proposed: SignIns.password))
            #expect(try s.user().previousPasswordHashes == [])
            s.signIn()
        }
    }

    @Test func theHistoryFollowsTheSizeDown() throws {
        let (s, token) = try Self.signedIn(Histories.pool(5))
        let older = try Histories.hashes(s.h)
        try s.h.store.changeUser(s.poolId, "alice") { user, _ in user.previousPasswordHashes = older }
        s.h.ok("UpdateUserPool", Histories.resize(s.poolId, 2))
        Clients.refused(s.h, "ChangePassword", Self.input(token, proposed: Histories.older[0]),
                        "PasswordHistoryPolicyViolationException", Histories.violation(2))
        s.h.ok("ChangePassword", Self.input(token, proposed: Histories.older[1]))
        let user = try s.user()
        #expect(user.previousPasswordHashes.count == 1)
        #expect(Histories.remembered(s.h, user, among: [SignIns.password] + Histories.older)
                == [Histories.older[1], SignIns.password])
    }

    @Test func aWrongPreviousPasswordNeverReachesTheHistory() throws {
        let (s, token) = try Self.signedIn(Histories.pool(3))
        // Whether a password was the user's is not told to someone who does not know the current one.
        s.refused(Self.input(token, previous: "wrong", proposed: SignIns.password), "NotAuthorizedException",
                  SignIns.incorrect, operation: "ChangePassword")
        #expect(try s.user().failedSignIns == 1)
    }

    /// Signed in to a pool that remembers 1 password, with `Histories.older` stored as earlier ones; services whose
    /// random source runs a hook when the new password is hashed.
    static func signedInWithOlderPasswords() throws
        -> (s: SignIns.Setup, token: String, hash: String?, services: Services, random: SignInTests.HookedRandom)
    {
        let (s, token) = try Self.signedIn(Histories.pool(1))
        let older = try Histories.hashes(s.h)
        try s.h.store.changeUser(s.poolId, "alice") { user, _ in user.previousPasswordHashes = older }
        let (services, random) = Histories.hooked(s.h)
        return (s, token, try s.user().passwordHash, services, random)
    }

    @Test func aHistoryGrownMeanwhileIsCheckedAgain() throws {
        let (s, token, hash, services, random) = try Self.signedInWithOlderPasswords()
        // While the new password is hashed, an administrator makes the pool remember 2 passwords: the proposed one
        // is now among them.
        random.hook = { s.h.ok("UpdateUserPool", Histories.resize(s.poolId, 2)) }
        let input = try ChangePasswordInput(json: Self.input(token, proposed: Histories.older[0]))
        #expect(throws: PasswordHistory.violation(size: 2)) { try ChangePassword(services).run(input) }
        #expect(random.hook == nil)
        #expect(try s.user().passwordHash == hash)
    }

    @Test func aHistoryGrowingTwiceMeanwhileIsAnsweredWithTryAgain() throws {
        let (s, token, hash, services, random) = try Self.signedInWithOlderPasswords()
        // Each time the new password is hashed, the history grows by one.
        random.hook = {
            s.h.ok("UpdateUserPool", Histories.resize(s.poolId, 2))
            random.hook = { s.h.ok("UpdateUserPool", Histories.resize(s.poolId, 3)) }
        }
        let input = try ChangePasswordInput(json: Self.input(token, proposed: SignIns.newPassword))
        #expect(throws: PasswordHistory.changedMeanwhile) { try ChangePassword(services).run(input) }
        #expect(PasswordHistory.changedMeanwhile.code == .tooManyRequests)
        #expect(try s.user().passwordHash == hash)
        // Asked again, it goes through.
        s.h.ok("ChangePassword", Self.input(token))
        s.signIn("alice", SignIns.newPassword)
    }

    // MARK: The token

    @Test func tokenRefusals() throws {
        let (s, token) = try Self.signedIn()
        Clients.refused(s.h, "ChangePassword", Self.input("not.a.token"), "NotAuthorizedException",
                        "Invalid Access Token")
        let idToken = try #require(s.signIn()["IdToken"]?.stringValue)
        Clients.refused(s.h, "ChangePassword", Self.input(idToken), "NotAuthorizedException", "Invalid Access Token")
        s.h.ok("AdminDisableUser", AdminUsers.ids(s.poolId, "alice"))
        Clients.refused(s.h, "ChangePassword", Self.input(token), "NotAuthorizedException", "User is disabled.")
        s.h.ok("AdminEnableUser", AdminUsers.ids(s.poolId, "alice"))
        s.h.clock.advance(3600)
        Clients.refused(s.h, "ChangePassword", Self.input(token), "NotAuthorizedException", "Access Token has expired")
    }

    /// After AdminResetUserPassword the old password proves nothing: PasswordResetRequiredException (the model lists
    /// it for ChangePassword), nothing written, and the forgot-password flow is still the way back.
    @Test func aUserWhosePasswordWasResetIsRefused() throws {
        let s = try SignIns.setUp()
        try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"])
        let token = try #require(s.signIn()["AccessToken"]?.stringValue)
        s.h.ok("AdminResetUserPassword", AdminUsers.ids(s.poolId, "alice"))
        let before = s.h.snapshot()
        Clients.refused(s.h, "ChangePassword", Self.input(token), "PasswordResetRequiredException",
                        "Password reset required for the user")
        #expect(s.h.snapshot() == before)
        #expect(try s.user().status == .resetRequired)
    }

    @Test func aDeletedUsersToken() throws {
        let (s, token) = try Self.signedIn()
        s.h.ok("AdminDeleteUser", AdminUsers.ids(s.poolId, "alice"))
        Clients.refused(s.h, "ChangePassword", Self.input(token), "NotAuthorizedException", "User does not exist.")
    }
}
