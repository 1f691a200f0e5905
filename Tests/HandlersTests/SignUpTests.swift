import Foundation
import Testing

@testable import Handlers

/// Helpers for the sign-up family's tests (SignUp, ConfirmSignUp, ResendConfirmationCode, AdminCreateUser).
enum SignUps {
    /// A password that satisfies AWS's default policy.
    static let password = "Passw0rd!"

    /// A pool signing in by email (`UsernameAttributes: [email]`) that verifies email addresses at sign-up.
    static let emailPool: [String: JSON] = ["UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"]]

    /// A pool (made with `extra`) and an app client in it (made with `clientExtra`).
    static func setUp(_ h: Harness, _ extra: [String: JSON] = [:], client clientExtra: [String: JSON] = [:],
                      sourceLocation: SourceLocation = #_sourceLocation) -> (poolId: String, client: Client) {
        let poolId = Clients.pool(h, extra, sourceLocation: sourceLocation)
        return (poolId, client(h, poolId, clientExtra, sourceLocation: sourceLocation))
    }

    /// An app client as the tests use it: its id, and its secret when it has one.
    struct Client {
        let id: String
        let secret: String?

        /// The SecretHash for `username`, when the client has a secret.
        func secretHash(_ username: String) -> String? {
            secret.map { PublicClient.secretHash(username: username, clientId: id, secret: $0) }
        }

        /// `members` plus ClientId, Username and (when the client has a secret) SecretHash.
        func input(_ username: String, _ members: [String: JSON] = [:]) -> JSON {
            var input = members
            input["ClientId"] = .string(id)
            input["Username"] = .string(username)
            if let hash = secretHash(username) { input["SecretHash"] = .string(hash) }
            return .object(input)
        }
    }

    static func client(_ h: Harness, _ poolId: String, _ extra: [String: JSON] = [:],
                       sourceLocation: SourceLocation = #_sourceLocation) -> Client {
        let created = Clients.create(h, poolId, extra, sourceLocation: sourceLocation)
        return Client(id: created["ClientId"]?.stringValue ?? "", secret: created["ClientSecret"]?.stringValue)
    }

    /// Signs `username` up through `client` and returns the answer.
    @discardableResult
    static func signUp(_ h: Harness, _ client: Client, _ username: String, password: String = password,
                       attributes: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        h.ok("SignUp", client.input(username, ["Password": .string(password), "UserAttributes": list(attributes)]),
             sourceLocation: sourceLocation)
    }

    /// `[{"Name": ..., "Value": ...}]`, sorted by name.
    static func list(_ attributes: [String: String]) -> JSON {
        .array(attributes.sorted { $0.key < $1.key }.map { ["Name": .string($0.key), "Value": .string($0.value)] })
    }

    /// The stored record of the user `name` names (username, alias or sub).
    static func user(_ h: Harness, _ poolId: String, _ name: String) throws -> UserRecord? {
        try h.store.withPool(poolId, .shared) { tx in try tx.findUser(name, in: try tx.pool()) }
    }

    /// The code of the newest message in the outbox.
    static func lastCode(_ h: Harness) -> String? {
        h.outbox().last?.code
    }

    /// Confirms `username` with `code` through `client`.
    static func confirm(_ h: Harness, _ client: Client, _ username: String, _ code: String,
                        _ extra: [String: JSON] = [:], sourceLocation: SourceLocation = #_sourceLocation) {
        var members = extra
        members["ConfirmationCode"] = .string(code)
        h.ok("ConfirmSignUp", client.input(username, members), sourceLocation: sourceLocation)
    }

    /// Services like the harness's, but delivering through `sender`: for driving an operation directly.
    static func services(_ h: Harness, sender: any Sender) -> Services {
        Services(
            config: h.services.config, store: h.store, clock: h.clock, random: h.services.random,
            logger: h.services.logger, sender: sender, passwords: h.services.passwords)
    }
}

/// A sender whose every delivery fails, as an unreachable mail server would.
struct FailingSender: Sender {
    func send(_ message: Message) throws(AWSError) { throw AWSError.deliveryFailed }
}

struct SignUpTests {
    // MARK: Success

    @Test func emailAsUsernameSendsACodeToTheEmail() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool)

        let out = SignUps.signUp(h, client, "Alice@Example.com", attributes: ["name": "Alice"])

        let sub = try #require(out["UserSub"]?.stringValue)
        #expect(out["UserConfirmed"] == false)
        #expect(out["CodeDeliveryDetails"] == [
            "Destination": "A***@E***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
        ])
        #expect(out["Session"] == nil)

        // The username is a generated UUID equal to the sub; the email is an attribute and an alias.
        let user = try #require(try SignUps.user(h, poolId, "alice@example.com"))
        #expect(user.username == sub && user.sub == sub)
        #expect(UUID(uuidString: sub) != nil)
        #expect(user.attributes == ["sub": sub, "email": "Alice@Example.com", "name": "Alice"])
        #expect(user.status == .unconfirmed && user.enabled)
        #expect(user.created == h.clock.now() && user.modified == h.clock.now())
        let hash = try #require(user.passwordHash)
        #expect(h.services.passwords.verify(SignUps.password, against: hash))
        #expect(!hash.contains(SignUps.password))
        #expect(try SignUps.user(h, poolId, sub) == user)

        // One message, after the write: the code by email, from the default template.
        let messages = h.outbox()
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.kind == .signUp && message.medium == .email)
        #expect(message.destination == "Alice@Example.com" && message.attributeName == "email")
        let code = try #require(message.code)
        #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        #expect(message.subject == "Your verification code")
        #expect(message.body == "Your verification code is \(code). ")
        #expect(message.poolId == poolId && message.username == "Alice@Example.com")

        // Only the code's keyed digest is stored.
        let stored = try #require(user.codes[CodePurpose.signUp.key])
        #expect(!stored.serializedString().contains(code))
        let record = try VerificationCode(json: stored)
        #expect(record.expiresAt == h.clock.now().addingTimeInterval(24 * 3600))
    }

    @Test func plainUsernameWithoutVerificationSendsNothing() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h)

        let out = SignUps.signUp(h, client, "Bob", attributes: ["email": "bob@example.com"])

        #expect(out["UserConfirmed"] == false)
        #expect(out["CodeDeliveryDetails"] == nil)
        #expect(h.outbox().isEmpty)
        let user = try #require(try SignUps.user(h, poolId, "Bob"))
        #expect(user.username == "Bob" && user.sub == out["UserSub"]?.stringValue)
        #expect(user.codes.isEmpty && user.status == .unconfirmed)
        // New pools are case-insensitive: the name is found however it is cased, and kept as given.
        #expect(try SignUps.user(h, poolId, "bob")?.username == "Bob")
    }

    @Test func phoneIsPreferredWhenBothAreVerified() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["email", "phone_number"]])

        let out = SignUps.signUp(
            h, client, "carol", attributes: ["email": "carol@example.com", "phone_number": "+15555550123"])

        #expect(out["CodeDeliveryDetails"] == [
            "Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number",
        ])
        let message = try #require(h.outbox().last)
        #expect(message.medium == .sms && message.destination == "+15555550123" && message.subject == nil)
    }

    @Test func emailIsUsedWhenThePhoneNumberIsMissing() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["email", "phone_number"]])
        let out = SignUps.signUp(h, client, "dave", attributes: ["email": "dave@example.com"])
        #expect(out["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")
    }

    @Test func theVerificationTemplateIsUsed() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, [
            "AutoVerifiedAttributes": ["email"],
            "VerificationMessageTemplate": ["EmailSubject": "Welcome", "EmailMessage": "Code: {####}"],
        ])
        SignUps.signUp(h, client, "erin", attributes: ["email": "erin@example.com"])
        let message = try #require(h.outbox().last)
        #expect(message.subject == "Welcome" && message.body == "Code: \(message.code ?? "?")")
    }

    @Test func clientWithSecretNeedsTheRightSecretHash() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool, client: ["GenerateSecret": true])
        #expect(client.secret != nil)
        let body: [String: JSON] = ["Password": .string(SignUps.password)]
        var missing = body
        missing["ClientId"] = .string(client.id)
        missing["Username"] = "a@example.com"

        Clients.refused(h, "SignUp", .object(missing), "NotAuthorizedException",
                        "Client \(client.id) is configured with secret but SECRET_HASH was not received")
        var wrong = missing
        wrong["SecretHash"] = .string(client.secretHash("b@example.com") ?? "")
        Clients.refused(h, "SignUp", .object(wrong), "NotAuthorizedException",
                        "Unable to verify secret hash for client \(client.id)")

        h.ok("SignUp", client.input("a@example.com", body))
        #expect(try SignUps.user(h, poolId, "a@example.com") != nil)
    }

    @Test func triggerOnlyMembersAreAcceptedAndIgnored() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h)
        h.ok("SignUp", client.input("frank", [
            "Password": .string(SignUps.password), "ClientMetadata": ["k": "v"],
            "ValidationData": [["Name": "x", "Value": "y"]], "AnalyticsMetadata": ["AnalyticsEndpointId": "e"],
            "UserContextData": ["IpAddress": "192.0.2.1"],
        ]))
        #expect(try SignUps.user(h, poolId, "frank")?.attributes.keys.sorted() == ["sub"])
    }

    @Test func theQueryFormWorksUnsigned() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool)
        let (status, body) = h.query("SignUp", [
            ("ClientId", client.id), ("Username", "q@example.com"), ("Password", SignUps.password),
            ("UserAttributes.member.1.Name", "name"), ("UserAttributes.member.1.Value", "Q"),
        ])
        #expect(status == 200, "\(body.serializedString())")
        #expect(body["CodeDeliveryDetails"]?["Destination"] == "q***@e***")
        #expect(try SignUps.user(h, poolId, "q@example.com")?.attributes["name"] == "Q")
    }

    // MARK: Refusals

    @Test func unknownClient() throws {
        let h = try Harness()
        Clients.refused(h, "SignUp", ["ClientId": "nosuchclient", "Username": "x", "Password": .string(SignUps.password)],
                        "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
    }

    @Test func adminCreateUserOnlyPoolsRefuseSignUp() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AdminCreateUserConfig": ["AllowAdminCreateUserOnly": true]])
        Clients.refused(h, "SignUp", client.input("gina", ["Password": .string(SignUps.password)]),
                        "NotAuthorizedException", "SignUp is not permitted for this user pool")
    }

    @Test func passwordsFollowThePoolsPolicy() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h)
        for (password, rule) in [
            ("Sh0rt!", "Password not long enough"), ("passw0rd!", "Password must have uppercase characters"),
            ("Password!", "Password must have numeric characters"), ("Passw0rdd", "Password must have symbol characters"),
        ] {
            Clients.refused(h, "SignUp", client.input("hank", ["Password": .string(password)]),
                            "InvalidPasswordException", "Password did not conform with policy: " + rule)
        }
        let (_, lax) = SignUps.setUp(h, ["Policies": ["PasswordPolicy": ["MinimumLength": 6]]])
        SignUps.signUp(h, lax, "hank", password: "simple")
    }

    @Test func aPasswordIsRequiredWithoutPasswordlessSignIn() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool)
        Clients.refused(h, "SignUp", client.input("i@example.com"), "InvalidParameterException", "Password is required.")
    }

    @Test func passwordlessSignUpWhenThePoolAndClientAllowIt() throws {
        let h = try Harness()
        var extra = SignUps.emailPool
        extra["Policies"] = ["SignInPolicy": ["AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]]]
        let (poolId, client) = SignUps.setUp(h, extra, client: [
            "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ])
        let out = h.ok("SignUp", client.input("j@example.com"))
        #expect(out["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")
        #expect(try SignUps.user(h, poolId, "j@example.com")?.passwordHash == nil)
    }

    @Test func duplicateUsernames() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h)
        SignUps.signUp(h, client, "kate")
        Clients.refused(h, "SignUp", client.input("kate", ["Password": .string(SignUps.password)]),
                        "UsernameExistsException", "User already exists")
        // The pool is case-insensitive (CreateUserPool's default for new pools).
        Clients.refused(h, "SignUp", client.input("KATE", ["Password": .string(SignUps.password)]),
                        "UsernameExistsException", "User already exists")

        let (_, sensitive) = SignUps.setUp(h, ["UsernameConfiguration": ["CaseSensitive": true]])
        SignUps.signUp(h, sensitive, "kate")
        SignUps.signUp(h, sensitive, "KATE")
    }

    @Test func duplicateEmailsInAnEmailUsernamePool() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "liam@example.com")
        Clients.refused(h, "SignUp", client.input("LIAM@example.com", ["Password": .string(SignUps.password)]),
                        "UsernameExistsException", "An account with the given email already exists.")
        #expect(h.outbox().count == 1)
    }

    /// AWS: only `CaseSensitive: false` "also enables both preferred_username and email alias to be case
    /// insensitive" (UsernameConfigurationType); a case-sensitive pool matches email addresses exactly.
    @Test func aCaseSensitivePoolMatchesEmailAddressesExactly() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool.merging(["UsernameConfiguration": ["CaseSensitive": true]]) { $1 })
        SignUps.signUp(h, client, "Liam@example.com")
        #expect(try SignUps.user(h, poolId, "Liam@example.com") != nil)
        #expect(try SignUps.user(h, poolId, "liam@example.com") == nil)
        SignUps.signUp(h, client, "liam@example.com")
        let (upper, lower) = (try #require(try SignUps.user(h, poolId, "Liam@example.com")),
                              try #require(try SignUps.user(h, poolId, "liam@example.com")))
        #expect(upper.sub != lower.sub && lower.attributes["email"] == "liam@example.com")
        Clients.refused(h, "SignUp", client.input("Liam@example.com", ["Password": .string(SignUps.password)]),
                        "UsernameExistsException", "An account with the given email already exists.")
    }

    /// Entries a case-sensitive pool wrote before it kept the case of email addresses were folded; they still find
    /// their user by the exact address (and only by it), move aside when another user takes the folded address, and
    /// go with their user.
    @Test func foldedAliasEntriesOfACaseSensitivePoolStillServe() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool.merging(["UsernameConfiguration": ["CaseSensitive": true]]) { $1 })
        for address in ["Liam@example.com", "Mia@example.com"] {
            SignUps.signUp(h, client, address)
            try h.store.withPool(poolId, .exclusive) { tx in
                let entry = try #require(try tx.read("aliases", "email:" + address))
                try tx.write("aliases", "email:" + address.lowercased(), entry)
                #expect(try tx.remove("aliases", "email:" + address))
            }
        }
        let liam = try #require(try SignUps.user(h, poolId, "Liam@example.com"))
        #expect(try SignUps.user(h, poolId, "liam@example.com") == nil)

        SignUps.signUp(h, client, "liam@example.com")
        let other = try #require(try SignUps.user(h, poolId, "liam@example.com"))
        #expect(other.sub != liam.sub)
        #expect(try SignUps.user(h, poolId, "Liam@example.com")?.sub == liam.sub)
        // Each user has two entries (email and sub): Liam's email under its exact key now, Mia's still folded.
        let holders = try h.store.withPool(poolId, .shared) { tx in
            try tx.storedNames("aliases").compactMap { try tx.read("aliases", storedName: $0)?["User"]?.stringValue }
        }
        #expect(holders.count == 6 && Set(holders).count == 3)
        #expect(try h.store.withPool(poolId, .shared) { tx in
            try tx.read("aliases", "email:Liam@example.com") != nil && tx.read("aliases", "email:mia@example.com") != nil
        })

        h.ok("AdminDeleteUser", AdminUsers.ids(poolId, liam.username))
        h.ok("AdminDeleteUser", AdminUsers.ids(poolId, "Mia@example.com"))
        #expect(try SignUps.user(h, poolId, "Liam@example.com") == nil)
        #expect(try SignUps.user(h, poolId, "liam@example.com")?.sub == other.sub)
        #expect(try h.store.withPool(poolId, .shared) { tx in try tx.storedNames("aliases").count } == 2)
    }

    @Test func usernamesMustBeOfTheUsernameAttributesFormat() throws {
        let h = try Harness()
        let input = { (client: SignUps.Client, name: String) in
            client.input(name, ["Password": .string(SignUps.password)])
        }
        let (_, email) = SignUps.setUp(h, ["UsernameAttributes": ["email"]])
        Clients.refused(h, "SignUp", input(email, "mia"), "InvalidParameterException", "Username should be an email.")
        let (_, phone) = SignUps.setUp(h, ["UsernameAttributes": ["phone_number"]])
        Clients.refused(h, "SignUp", input(phone, "mia@example.com"), "InvalidParameterException",
                        "Username should be a phone number.")
        let (_, both) = SignUps.setUp(h, ["UsernameAttributes": ["email", "phone_number"]])
        Clients.refused(h, "SignUp", input(both, "mia"), "InvalidParameterException",
                        "Username should be either an email or a phone number.")
        let out = h.ok("SignUp", input(both, "+15555550100"))
        #expect(out["UserSub"] != nil)
    }

    @Test func aliasPoolsRefuseUsernamesInTheAliasFormat() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AliasAttributes": ["email", "phone_number"]])
        Clients.refused(h, "SignUp", client.input("nina@example.com", ["Password": .string(SignUps.password)]),
                        "InvalidParameterException",
                        "Username cannot be of email format, since user pool is configured for email alias.")
        Clients.refused(h, "SignUp", client.input("+15555550100", ["Password": .string(SignUps.password)]),
                        "InvalidParameterException",
                        "Username cannot be of phone number format, since user pool is configured for phone_number alias.")
        SignUps.signUp(h, client, "nina", attributes: ["email": "nina@example.com"])
    }

    @Test func attributesAreCheckedAgainstTheSchema() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, [
            "Schema": [["Name": "name", "Required": true, "Mutable": true]],
        ])
        let input = { (attributes: [String: String]) in
            client.input("olga", ["Password": .string(SignUps.password), "UserAttributes": SignUps.list(attributes)])
        }
        Clients.refused(h, "SignUp", input([:]), "InvalidParameterException",
                        "Attributes did not conform to the schema: name: The attribute is required\n")
        Clients.refused(h, "SignUp", input(["name": "Olga", "custom:nope": "x"]), "InvalidParameterException",
                        "Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema.\n")
        // Judged on scalars: an `@` or a control joined to a combining mark still counts (a security audit's find).
        for email in ["not-an-email", "a@b@\u{301}c.example", "a\u{85}\u{301}b@c.example", "a\u{2028}b@c.example"] {
            Clients.refused(h, "SignUp", input(["name": "Olga", "email": email]), "InvalidParameterException",
                            "Invalid email address format.")
        }
        SignUps.signUp(h, client, "olga", attributes: ["name": "Olga", "email": "\u{F6}lga@b\u{FC}ro.example"])
    }

    @Test func clientsMayWriteOnlyTheirWriteAttributes() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, client: ["WriteAttributes": ["email", "name"]])
        let input = { (attributes: [String: String]) in
            client.input("pia", ["Password": .string(SignUps.password), "UserAttributes": SignUps.list(attributes)])
        }
        Clients.refused(h, "SignUp", input(["email": "pia@example.com", "email_verified": "true"]),
                        "NotAuthorizedException", "A client attempted to write unauthorized attribute")
        Clients.refused(h, "SignUp", input(["nickname": "p"]),
                        "NotAuthorizedException", "A client attempted to write unauthorized attribute")
        SignUps.signUp(h, client, "pia", attributes: ["email": "pia@example.com", "name": "Pia"])

        // Without WriteAttributes the verified flags are still not the client's to set.
        let (_, open) = SignUps.setUp(h)
        Clients.refused(h, "SignUp", open.input("pia", [
            "Password": .string(SignUps.password), "UserAttributes": SignUps.list(["phone_number_verified": "true"]),
        ]), "NotAuthorizedException", "A client attempted to write unauthorized attribute")
    }

    // MARK: Concurrency and delivery

    @Test func ofTwoConcurrentSignUpsOfOneNameExactlyOneWins() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["email"]])
        let service = h.service
        let body = client.input("race", [
            "Password": .string(SignUps.password), "UserAttributes": SignUps.list(["email": "race@example.com"]),
        ]).serialized()
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let response = service.handle(Request(
                method: "POST", path: "/",
                headers: ["X-Amz-Target": Service.targetPrefix + "SignUp", "Content-Type": "application/x-amz-json-1.1"],
                body: body))
            let parsed = (try? JSON.parse(response.body)) ?? .null
            results.append(response.status, parsed["__type"]?.stringValue)
        }
        let all = results.all
        #expect(all.filter { $0.status == 200 }.count == 1)
        #expect(all.filter { $0.type == "UsernameExistsException" }.count == 5)
        #expect(h.outbox().count == 1)
        #expect(try h.store.withPool(poolId, .shared) { tx in try tx.userStoredNames() }.count == 1)
    }

    @Test func aFailedDeliveryLeavesTheUserToBeReachedAgain() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool)
        let failing = SignUp(SignUps.services(h, sender: FailingSender()))
        let input = SignUpInput(clientId: client.id, username: "r@example.com", password: SignUps.password)
        #expect(throws: AWSError.deliveryFailed) { try failing.run(input) }

        let user = try #require(try SignUps.user(h, poolId, "r@example.com"))
        #expect(user.status == .unconfirmed && user.codes[CodePurpose.signUp.key] != nil)
        h.ok("ResendConfirmationCode", client.input("r@example.com"))
        #expect(h.outbox().count == 1)
    }
}

/// Outcomes collected from several threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(status: Int, type: String?)] = []
    func append(_ status: Int, _ type: String?) { lock.withLock { items.append((status, type)) } }
    var all: [(status: Int, type: String?)] { lock.withLock { items } }
}
