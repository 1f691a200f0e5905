import Foundation
import Testing

@testable import Handlers

/// NEW_PASSWORD_REQUIRED through an app client (the IAM twin reuses these helpers).
struct RespondToAuthChallengeTests {
    static let used = "Invalid session for the user, session can only be used once."
    static let invalid = "Invalid session for the user."
    static let expired = "Invalid session for the user, session is expired."

    /// Signs `username` in with their temporary password and returns the challenge's Session.
    static func session(_ s: SignIns.Setup, _ username: String = "alice",
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let out = s.h.ok("InitiateAuth", s.initiate(username), sourceLocation: sourceLocation)
        #expect(out["ChallengeName"] == "NEW_PASSWORD_REQUIRED", sourceLocation: sourceLocation)
        return try #require(out["Session"]?.stringValue, sourceLocation: sourceLocation)
    }

    /// A RespondToAuthChallenge input: USERNAME, NEW_PASSWORD (unless nil), SECRET_HASH when the client has a
    /// secret, and `userAttributes.<name>` for each of `attributes`.
    static func answer(
        _ s: SignIns.Setup, session: String?, username: String = "alice",
        password: String? = SignIns.newPassword, attributes: [String: String] = [:],
        challenge: String = "NEW_PASSWORD_REQUIRED"
    ) -> JSON {
        var responses: [String: JSON] = ["USERNAME": .string(username)]
        if let password { responses["NEW_PASSWORD"] = .string(password) }
        if let hash = s.client.secretHash(username) { responses["SECRET_HASH"] = .string(hash) }
        for (name, value) in attributes { responses["userAttributes." + name] = .string(value) }
        var input: [String: JSON] = [
            "ClientId": .string(s.client.id), "ChallengeName": .string(challenge),
            "ChallengeResponses": .object(responses),
        ]
        if let session { input["Session"] = .string(session) }
        return .object(input)
    }

    /// Expects RespondToAuthChallenge to refuse `input` with `type` and `message`, leaving every file as it was.
    static func refused(_ s: SignIns.Setup, _ input: JSON, _ type: String, _ message: String? = nil,
                        operation: String = "RespondToAuthChallenge",
                        sourceLocation: SourceLocation = #_sourceLocation) {
        Clients.refused(s.h, operation, input, type, message, sourceLocation: sourceLocation)
    }

    // MARK: Success

    @Test func anAdminCreatedUserSetsTheirOwnPassword() throws {
        let s = try SignIns.setUp()
        s.h.ok("AdminCreateUser", AdminUsers.ids(s.poolId, "alice", [
            "TemporaryPassword": .string(SignIns.password), "MessageAction": "SUPPRESS",
            "UserAttributes": SignUps.list(["email": "alice@example.com", "email_verified": "true"]),
        ]))
        let session = try Self.session(s)
        s.h.clock.advance(60)
        let out = s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session))
        #expect(out["ChallengeName"] == nil && out["Session"] == nil && out["ChallengeParameters"] == [:])
        let result = try #require(out["AuthenticationResult"])
        #expect(result["RefreshToken"] != nil && result["TokenType"] == "Bearer")
        let access = try s.claims(result["AccessToken"])
        #expect(access["username"] == "alice" && access["client_id"] == .string(s.client.id))
        #expect(try s.claims(result["IdToken"])["email"] == "alice@example.com")

        let user = try s.user()
        #expect(user.status == .confirmed && user.temporaryPasswordExpires == nil)
        #expect(user.modified == s.h.clock.now())
        #expect(user.refreshTokens.count == 1)
        // The new password signs in; the temporary one no longer does.
        s.signIn("alice", SignIns.newPassword)
        s.refused(s.initiate(), "NotAuthorizedException", SignIns.incorrect)
    }

    @Test func requiredAttributesTheUserLacksMustBeGiven() throws {
        let s = try SignIns.setUp(["Schema": [["Name": "name", "Required": true, "AttributeDataType": "String"]]])
        try s.addUser("alice", ["email": "alice@example.com"], status: .forceChangePassword)
        let session = try Self.session(s)
        Self.refused(s, Self.answer(s, session: session), "InvalidParameterException",
                     "Invalid attributes given, name is missing")
        Self.refused(s, Self.answer(s, session: session, attributes: ["name": ""]), "InvalidParameterException")
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session, attributes: ["name": "Alice Liddell"]))
        #expect(try s.user().attributes["name"] == "Alice Liddell")
    }

    @Test func otherWritableAttributesMayBeGiven() throws {
        let s = try SignIns.setUp(["AutoVerifiedAttributes": ["email"]])
        try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"], status: .forceChangePassword)
        let session = try Self.session(s)
        s.h.ok("RespondToAuthChallenge", Self.answer(
            s, session: session, attributes: ["nickname": "ally", "email": "new@example.com"]))
        let user = try s.user()
        #expect(user.attributes["nickname"] == "ally")
        // A new email is unverified, and a code went to it (as any attribute update does).
        #expect(user.attributes["email"] == "new@example.com" && user.attributes["email_verified"] == "false")
        #expect(s.h.outbox().last?.destination == "new@example.com")
    }

    @Test func aFailedCodeDeliveryDoesNotUndoTheSignIn() throws {
        let s = try SignIns.setUp(["AutoVerifiedAttributes": ["email"]])
        try s.addUser("alice", ["email": "alice@example.com"], status: .forceChangePassword)
        let session = try Self.session(s)
        let input = try RespondToAuthChallengeInput(json: Self.answer(
            s, session: session, attributes: ["email": "new@example.com"]))
        let out = try RespondToAuthChallenge(SignUps.services(s.h, sender: FailingSender())).run(input)
        #expect(out.authenticationResult?.accessToken != nil)
        #expect(try s.user().status == .confirmed && s.user().attributes["email"] == "new@example.com")
    }

    @Test func queryForm() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        let (status, body) = s.h.query("RespondToAuthChallenge", [
            ("ClientId", s.client.id), ("ChallengeName", "NEW_PASSWORD_REQUIRED"), ("Session", session),
            ("ChallengeResponses", #"{"USERNAME":"alice","NEW_PASSWORD":"\#(SignIns.newPassword)"}"#),
        ])
        #expect(status == 200)
        #expect(body["AuthenticationResult"]?["AccessToken"] != nil)
    }

    @Test func anAnsweredEmailReleasesTheOldAlias() throws {
        // The answer moves an alias entry, more than the user's record: the change is made under the pool's
        // exclusive lock (the store runs it again there), with the same outcome.
        let s = try SignIns.setUp(["AliasAttributes": ["email"]])
        try s.addUser("alice", ["email": "alice@example.com", "email_verified": "true"], status: .forceChangePassword)
        #expect(try AdminUsers.stored(s.h, s.poolId, "alice@example.com") != nil)
        let session = try Self.session(s)
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session, attributes: ["email": "new@example.com"]))
        let user = try s.user()
        #expect(user.status == .confirmed && user.email == "new@example.com")
        #expect(user.attributes["email_verified"] != "true")
        #expect(try AdminUsers.stored(s.h, s.poolId, "alice@example.com") == nil)
        #expect(try AdminUsers.stored(s.h, s.poolId, "new@example.com") == nil)
        s.signIn("alice", SignIns.newPassword)
    }

    @Test func theUsernameMayBeAnAliasOrTheIdForSrp() throws {
        let s = try SignIns.setUp(SignUps.emailPool)
        s.h.ok("AdminCreateUser", AdminUsers.ids(s.poolId, "bob@example.com", [
            "TemporaryPassword": .string(SignIns.password), "MessageAction": "SUPPRESS",
        ]))
        let out = s.h.ok("InitiateAuth", s.initiate("bob@example.com"))
        let id = try #require(out["ChallengeParameters"]?["USER_ID_FOR_SRP"]?.stringValue)
        #expect(id == (try s.user("bob@example.com")).username && id != "bob@example.com")
        s.h.ok("RespondToAuthChallenge", Self.answer(
            s, session: try #require(out["Session"]?.stringValue), username: id))
        s.signIn("bob@example.com", SignIns.newPassword)
    }

    // MARK: Password history

    @Test func theTemporaryPasswordCannotBeKept() throws {
        let s = try SignIns.setUp(Histories.pool(1))
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Self.refused(s, Self.answer(s, session: session, password: SignIns.password),
                     "PasswordHistoryPolicyViolationException", Histories.violation(1))
        #expect(try s.user().status == .forceChangePassword)
        // The session is still good for another password.
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session))
        s.signIn("alice", SignIns.newPassword)
    }

    @Test func aPasswordWithinTheHistoryIsRefusedAndOneBeyondItAccepted() throws {
        let s = try SignIns.setUp(Histories.pool(2))
        let older = try Histories.hashes(s.h)
        try s.addUser(status: .forceChangePassword) { $0.previousPasswordHashes = older }
        let session = try Self.session(s)
        Self.refused(s, Self.answer(s, session: session, password: Histories.older[0]),
                     "PasswordHistoryPolicyViolationException", Histories.violation(2))
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session, password: Histories.older[1]))
        let user = try s.user()
        #expect(user.status == .confirmed)
        #expect(Histories.remembered(s.h, user, among: [SignIns.password] + Histories.older)
                == [Histories.older[1], SignIns.password])
    }

    @Test func withoutAHistorySizeTheTemporaryPasswordMayBeKept() throws {
        for size in [nil, 0] as [Int?] {
            let s = try SignIns.setUp(Histories.pool(size))
            try s.addUser(status: .forceChangePassword)
            s.h.ok("RespondToAuthChallenge", Self.answer(s, session: try Self.session(s), password: SignIns.password))
            #expect(try s.user().status == .confirmed)
            s.signIn()
        }
    }

    @Test func aHistoryGrownMeanwhileIsCheckedAgain() throws {
        let s = try SignIns.setUp(Histories.pool(1))
        let older = try Histories.hashes(s.h)
        try s.addUser(status: .forceChangePassword) { $0.previousPasswordHashes = older }
        let session = try Self.session(s)
        let (services, random) = Histories.hooked(s.h)
        // While the new password is hashed, an administrator makes the pool remember 2 passwords.
        random.hook = { s.h.ok("UpdateUserPool", Histories.resize(s.poolId, 2)) }
        let input = try RespondToAuthChallengeInput(
            json: Self.answer(s, session: session, password: Histories.older[0]))
        #expect(throws: PasswordHistory.violation(size: 2)) { try RespondToAuthChallenge(services).run(input) }
        #expect(random.hook == nil)
        #expect(try s.user().status == .forceChangePassword)
    }

    // MARK: The session

    @Test func anExpiredSession() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        s.h.clock.advance(180)
        Self.refused(s, Self.answer(s, session: session), "NotAuthorizedException", Self.expired)
    }

    @Test func theClientsAuthSessionValidityDecides() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["AuthSessionValidity": 10]))
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        s.h.clock.advance(599)
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session))
    }

    @Test func aSessionAnswersOnce() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session))
        Self.refused(s, Self.answer(s, session: session, password: "Th1rd-Passw0rd!"), "NotAuthorizedException",
                     Self.used)
        s.signIn("alice", SignIns.newPassword)
    }

    @Test func aNewTemporaryPasswordEndsOlderSessions() throws {
        let s = try SignIns.setUp()
        s.h.ok("AdminCreateUser", AdminUsers.ids(s.poolId, "alice", [
            "TemporaryPassword": .string(SignIns.password), "MessageAction": "SUPPRESS",
        ]))
        let session = try Self.session(s)
        s.h.ok("AdminCreateUser", AdminUsers.ids(s.poolId, "alice", [
            "TemporaryPassword": "An0ther-temp!", "MessageAction": "RESEND",
        ]))
        Self.refused(s, Self.answer(s, session: session), "NotAuthorizedException", Self.used)
    }

    @Test func badSessions() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        try s.addUser("bob", status: .forceChangePassword)
        let session = try Self.session(s)
        Self.refused(s, Self.answer(s, session: nil), "NotAuthorizedException", Self.invalid)
        Self.refused(s, Self.answer(s, session: String(repeating: "A", count: 40)), "NotAuthorizedException",
                     Self.invalid)
        Self.refused(s, Self.answer(s, session: String(session.dropLast()) + (session.hasSuffix("A") ? "B" : "A")),
                     "NotAuthorizedException", Self.invalid)
        // Another user's name with this session.
        Self.refused(s, Self.answer(s, session: session, username: "bob"), "NotAuthorizedException", Self.invalid)
        // Another client of the pool, and a client of another pool.
        let sibling = SignUps.client(s.h, s.poolId, SignIns.flows)
        Self.refused(s, Clients.with(Self.answer(s, session: session), ["ClientId": .string(sibling.id)]),
                     "NotAuthorizedException", Self.invalid)
        let other = try SignIns.setUp(harness: s.h)
        try other.addUser(status: .forceChangePassword)
        Self.refused(other, Self.answer(other, session: session), "NotAuthorizedException", Self.invalid)
        // Through all of that the session stayed good.
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session))
    }

    // MARK: Other refusals

    @Test func thePasswordPolicy() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Self.refused(s, Self.answer(s, session: session, password: "Sh0rt!"), "InvalidPasswordException",
                     "Password does not conform to policy: Password not long enough")
        Self.refused(s, Self.answer(s, session: session, password: "nouppercase1!"), "InvalidPasswordException",
                     "Password does not conform to policy: Password must have uppercase characters")
        Self.refused(s, Self.answer(s, session: session, password: " Leading-Sp4ce"), "InvalidPasswordException",
                     "Password does not conform to policy: " + PasswordPolicy.Rule.pattern.message)
    }

    @Test func missingResponses() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Self.refused(s, Self.answer(s, session: session, password: nil), "InvalidParameterException",
                     "Missing required parameter NEW_PASSWORD")
        Self.refused(s, Clients.with(Self.answer(s, session: session), ["ChallengeResponses": [:]]),
                     "InvalidParameterException", "Missing required parameter USERNAME")
        Self.refused(s, ["ClientId": .string(s.client.id), "ChallengeName": "NEW_PASSWORD_REQUIRED",
                         "Session": .string(session)],
                     "InvalidParameterException", "Missing required parameter USERNAME")
    }

    @Test func challengesThisServiceNeverAsks() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        for challenge in ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE"] {
            Self.refused(
                s, Self.answer(s, session: session, challenge: challenge), "InvalidParameterException",
                "The challenge \(challenge) is not supported by this service; it asks only NEW_PASSWORD_REQUIRED.")
        }
        Self.refused(s, Self.answer(s, session: session, challenge: "NOPE"), "InvalidParameterException")
    }

    @Test func unknownClientOrUser() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        Self.refused(s, Clients.with(Self.answer(s, session: session), ["ClientId": "nosuchclient"]),
                     "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
        s.h.ok("AdminDeleteUser", AdminUsers.ids(s.poolId, "alice"))
        Self.refused(s, Self.answer(s, session: session), "UserNotFoundException", "User does not exist.")
    }

    @Test func aDisabledUser() throws {
        let s = try SignIns.setUp()
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        s.h.ok("AdminDisableUser", AdminUsers.ids(s.poolId, "alice"))
        Self.refused(s, Self.answer(s, session: session), "NotAuthorizedException", "User is disabled.")
    }

    @Test func attributesThatMayNotBeGiven() throws {
        let s = try SignIns.setUp(SignUps.emailPool, client: SignIns.flows(["WriteAttributes": ["email", "name"]]))
        s.h.ok("AdminCreateUser", AdminUsers.ids(s.poolId, "carol@example.com", [
            "TemporaryPassword": .string(SignIns.password), "MessageAction": "SUPPRESS",
        ]))
        let out = s.h.ok("InitiateAuth", s.initiate("carol@example.com"))
        let session = try #require(out["Session"]?.stringValue)
        let answer = { (attributes: [String: String]) in
            Self.answer(s, session: session, username: "carol@example.com", attributes: attributes)
        }
        // The email is carol's username: it cannot be given again.
        Self.refused(s, answer(["email": "carol@example.com"]), "NotAuthorizedException",
                     "Cannot modify an already provided email")
        Self.refused(s, answer(["nickname": "cc"]), "NotAuthorizedException",
                     "A client attempted to write unauthorized attribute")
        Self.refused(s, answer(["email_verified": "true"]), "NotAuthorizedException",
                     "A client attempted to write unauthorized attribute")
        Self.refused(s, answer(["no_such_thing": "x"]), "InvalidParameterException")
        s.h.ok("RespondToAuthChallenge", answer(["name": "Carol"]))
    }

    @Test func aClientWithASecret() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["GenerateSecret": true]))
        try s.addUser(status: .forceChangePassword)
        let session = try Self.session(s)
        var input = Self.answer(s, session: session)
        var responses = try #require(input["ChallengeResponses"]?.objectValue)
        responses["SECRET_HASH"] = nil
        input = Clients.with(input, ["ChallengeResponses": .object(responses)])
        Self.refused(s, input, "NotAuthorizedException",
                     "Client \(s.client.id) is configured with secret but SECRET_HASH was not received")
        s.h.ok("RespondToAuthChallenge", Self.answer(s, session: session))
    }
}
