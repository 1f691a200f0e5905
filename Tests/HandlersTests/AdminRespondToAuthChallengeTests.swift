import Foundation
import Testing

@testable import Handlers

/// NEW_PASSWORD_REQUIRED as an administrator answers it; the rules are `SignIn`'s, tested in full through the public
/// twin (RespondToAuthChallengeTests), so these cover what differs: the pool and client are named by the caller.
struct AdminRespondToAuthChallengeTests {
    typealias Public = RespondToAuthChallengeTests

    /// The public answer with the pool id added.
    static func answer(_ s: SignIns.Setup, session: String?, username: String = "alice",
                       password: String? = SignIns.newPassword, attributes: [String: String] = [:]) -> JSON {
        Clients.with(
            Public.answer(s, session: session, username: username, password: password, attributes: attributes),
            ["UserPoolId": .string(s.poolId)])
    }

    /// Signs in with AdminInitiateAuth and returns the challenge's Session.
    static func session(_ s: SignIns.Setup, _ username: String = "alice") throws -> String {
        let out = s.h.ok("AdminInitiateAuth", s.admin(username))
        #expect(out["ChallengeName"] == "NEW_PASSWORD_REQUIRED")
        return try #require(out["Session"]?.stringValue)
    }

    @Test func anAdminCreatedUserGetsAPermanentPassword() throws {
        let s = try SignIns.setUp()
        s.h.ok("AdminCreateUser", AdminUsers.ids(s.poolId, "alice", [
            "TemporaryPassword": .string(SignIns.password), "MessageAction": "SUPPRESS",
        ]))
        let out = s.h.ok("AdminRespondToAuthChallenge", Self.answer(s, session: try Self.session(s)))
        #expect(out["ChallengeParameters"] == [:])
        let result = try #require(out["AuthenticationResult"])
        #expect(try s.claims(result["AccessToken"])["username"] == "alice")
        #expect(result["RefreshToken"] != nil)
        #expect(try s.user().status == .confirmed)
        s.h.ok("AdminInitiateAuth", s.admin("alice", SignIns.newPassword))
    }

    @Test func aSessionFromEitherAPIAnswersThroughEither() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        // A session InitiateAuth gave, answered by an administrator for the same client.
        s.h.ok("AdminRespondToAuthChallenge", Self.answer(s, session: try Public.session(s)))
    }

    @Test func requiredAttributes() throws {
        let s = try SignIns.setUp(["Schema": [["Name": "name", "Required": true, "AttributeDataType": "String"]]])
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Public.refused(s, Self.answer(s, session: session), "InvalidParameterException",
                       "Invalid attributes given, name is missing", operation: "AdminRespondToAuthChallenge")
        s.h.ok("AdminRespondToAuthChallenge", Self.answer(s, session: session, attributes: ["name": "Alice"]))
    }

    @Test func unknownPoolOrAClientOfAnotherPool() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Public.refused(s, Clients.with(Self.answer(s, session: session), ["UserPoolId": "us-east-1_nosuchpool"]),
                       "ResourceNotFoundException", "User pool us-east-1_nosuchpool does not exist.",
                       operation: "AdminRespondToAuthChallenge")
        let other = try SignIns.setUp(harness: s.h)
        Public.refused(s, Clients.with(Self.answer(s, session: session), ["UserPoolId": .string(other.poolId)]),
                       "ResourceNotFoundException", "User pool client \(s.client.id) does not exist.",
                       operation: "AdminRespondToAuthChallenge")
    }

    @Test func sessionRefusals() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Public.refused(s, Self.answer(s, session: "x" + String(repeating: "0", count: 30)), "NotAuthorizedException",
                       Public.invalid, operation: "AdminRespondToAuthChallenge")
        s.h.clock.advance(180)
        Public.refused(s, Self.answer(s, session: session), "NotAuthorizedException", Public.expired,
                       operation: "AdminRespondToAuthChallenge")
        let fresh = try Self.session(s)
        s.h.ok("AdminRespondToAuthChallenge", Self.answer(s, session: fresh))
        Public.refused(s, Self.answer(s, session: fresh, password: "Th1rd-Passw0rd!"), "NotAuthorizedException",
                       Public.used, operation: "AdminRespondToAuthChallenge")
    }

    @Test func thePasswordHistory() throws {
        let s = try SignIns.setUp(Histories.pool(2))
        let older = try Histories.hashes(s.h)
        try s.addUser(status: .forceChangePassword) { $0.previousPasswordHashes = older }
        let session = try Self.session(s)
        // The temporary password counts, and so does the one before it.
        for reused in [SignIns.password, Histories.older[0]] {
            Public.refused(s, Self.answer(s, session: session, password: reused),
                           "PasswordHistoryPolicyViolationException", Histories.violation(2),
                           operation: "AdminRespondToAuthChallenge")
        }
        s.h.ok("AdminRespondToAuthChallenge", Self.answer(s, session: session, password: Histories.older[1]))
        #expect(try s.user().status == .confirmed)
        s.h.ok("AdminInitiateAuth", s.admin("alice", Histories.older[1]))
    }

    @Test func withoutAHistorySizeTheTemporaryPasswordMayBeKept() throws {
        for size in [nil, 0] as [Int?] {
            let s = try SignIns.setUp(Histories.pool(size))
            try s.addUser(status: .forceChangePassword)
            s.h.ok("AdminRespondToAuthChallenge",
                   Self.answer(s, session: try Self.session(s), password: SignIns.password))
            #expect(try s.user().status == .confirmed)
        }
    }

    @Test func thePasswordPolicy() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        Public.refused(s, Self.answer(s, session: try Self.session(s), password: "password"),
                       "InvalidPasswordException",
                       "Password does not conform to policy: Password must have uppercase characters",
                       operation: "AdminRespondToAuthChallenge")
    }
}
