import Foundation
import Testing

@testable import Handlers

struct SchemaValidationTests {
    /// The error `schema.validate` throws for `body`, or nil when the body is valid.
    func error(_ schema: Schema, _ body: String) throws -> AWSError? {
        let json = try JSON.parse(body)
        do {
            try schema.validate(json)
            return nil
        } catch {
            return error
        }
    }

    func invalid(_ message: String) -> AWSError { AWSError(.invalidParameter, message) }
    func serialization(_ message: String) -> AWSError { AWSError(.serialization, message) }

    static let poolId = "us-east-1_AbC123"

    // MARK: - Constraint wording

    @Test func missingRequiredMember() throws {
        #expect(try error(Schemas.describeUserPoolRequest, "{}") == invalid(
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null"))
        // JSON null is the same as absent.
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":null}"#) == invalid(
            "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null"))
    }

    @Test func noBodyCountsAsAnEmptyObject() throws {
        var thrown: AWSError?
        do { try Schemas.describeUserPoolRequest.validate(nil) } catch { thrown = error }
        #expect(thrown?.code == .invalidParameter)
        do { try EmptyShape.schema.validate(nil) } catch { Issue.record("EmptyShape refused no body: \(error)") }
    }

    @Test func validBodiesPass() throws {
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":"\#(Self.poolId)"}"#) == nil)
        #expect(try error(Schemas.listUsersRequest, #"{"UserPoolId":"\#(Self.poolId)","Limit":60,"Unknown":[1]}"#) == nil)
        #expect(try error(Schemas.updateUserPoolClientRequest, #"""
            {"UserPoolId":"\#(Self.poolId)","ClientId":"abc123","ClientName":"my app",
             "ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"],
             "TokenValidityUnits":{"AccessToken":"hours"},"AccessTokenValidity":1}
            """#) == nil)
    }

    @Test func lengthWording() throws {
        let long = String(repeating: "a", count: 129)
        #expect(try error(Schemas.updateUserPoolClientRequest,
            #"{"UserPoolId":"\#(Self.poolId)","ClientId":"abc","ClientName":"\#(long)"}"#) == invalid(
            "1 validation error detected: Value '\(long)' at 'clientName' failed to satisfy constraint: "
                + "Member must have length less than or equal to 128"))
        // An empty string breaks both the minimum length and the pattern; both are reported.
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":""}"#) == invalid(
            "2 validation errors detected: Value '' at 'userPoolId' failed to satisfy constraint: "
                + "Member must have length greater than or equal to 1; Value '' at 'userPoolId' failed to satisfy "
                + #"constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"#))
    }

    @Test func lengthCountsUTF16CodeUnits() throws {
        // 64 emoji are 128 UTF-16 code units: allowed; 65 are 130: too long.
        let ok = String(repeating: "😀", count: 64)
        let tooLong = String(repeating: "😀", count: 65)
        let body = { (name: String) in #"{"ClientId":"abc","Username":"\#(name)","Password":"Passw0rd!"}"# }
        #expect(try error(Schemas.signUpRequest, body(ok)) == nil)
        #expect(try error(Schemas.signUpRequest, body(tooLong)) == invalid(
            "1 validation error detected: Value at 'username' failed to satisfy constraint: "
                + "Member must have length less than or equal to 128"))
    }

    @Test func rangeWording() throws {
        #expect(try error(Schemas.listUsersRequest, #"{"UserPoolId":"\#(Self.poolId)","Limit":61}"#) == invalid(
            "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: "
                + "Member must have value less than or equal to 60"))
        #expect(try error(Schemas.listUserPoolsRequest, #"{"MaxResults":0}"#) == invalid(
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
                + "Member must have value greater than or equal to 1"))
        // A fraction given for an integer is truncated before the check, as AWS does.
        #expect(try error(Schemas.listUsersRequest, #"{"UserPoolId":"\#(Self.poolId)","Limit":60.9}"#) == nil)
        #expect(try error(Schemas.listUsersRequest, #"{"UserPoolId":"\#(Self.poolId)","Limit":61.5}"#) == invalid(
            "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: "
                + "Member must have value less than or equal to 60"))
    }

    @Test func patternWording() throws {
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":"bad"}"#) == invalid(
            "1 validation error detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: "
                + #"Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"#))
    }

    @Test func patternsMatchTheWholeValueWithJavaSemantics() throws {
        // A trailing newline is not accepted (`$` would accept it; Java's matches() does not).
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":"us-east-1_abc\n"}"#) != nil)
        // Java's \w is ASCII-only: an accented letter breaks [\w-]+_[0-9a-zA-Z]+.
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":"us-é_abc"}"#) != nil)
        // Java's \S excludes only ASCII whitespace, so a no-break space is a valid code character.
        let code = "12\u{00A0}34"
        #expect(!Patterns.confirmationCodeType.matches(" 1"))
        #expect(Patterns.confirmationCodeType.matches(code))
        #expect(Patterns.userPoolIdType.matches("eu-west-2_aBc9"))
        #expect(Patterns.tokenModelType.matches("eyJ-_=."))
        #expect(!Patterns.tokenModelType.matches("a b"))
        #expect(Patterns.smsInviteMessageType.matches("line\nline"))
    }

    @Test func everyGeneratedPatternCompiles() {
        for pattern in Patterns.all {
            #expect(pattern.compiled, "\(pattern.source)")
        }
    }

    /// Patterns of one repeated class answer all-ASCII values from a table made of ICU's own answers: over every
    /// ASCII character alone, in pairs, and in longer strings, the table and ICU agree.
    @Test func asciiTablesAgreeWithTheRegex() {
        let tabled = Patterns.all.filter(\.hasASCIITable)
        // The hot ones: access tokens, client ids, usernames, codes.
        for pattern in [Patterns.tokenModelType, Patterns.clientIdType, Patterns.customAttributeNameType, Patterns.confirmationCodeType] {
            #expect(pattern.hasASCIITable, "\(pattern.source)")
        }
        var generator = SystemRandomNumberGenerator()
        let singles = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        let samples = [""] + singles + singles.map { $0 + "a" } + singles.map { "Z" + $0 + "9" }
            + (0..<300).map { _ in String((0..<Int.random(in: 1...12, using: &generator)).map { _ in
                Character(UnicodeScalar(UInt8.random(in: 0...127, using: &generator))) }) }
            + ["é", "aé", "a\u{00A0}b", "\u{1F600}"]
        for pattern in tabled {
            for sample in samples where pattern.matches(sample) != pattern.regexMatches(sample) {
                Issue.record("\(pattern.source) disagrees on \(sample.debugDescription)")
            }
        }
        func steps(_ regex: String) -> [String]? {
            Pattern.steps(regex)?.map { $0.0 + ($0.1.map(String.init) ?? "") }
        }
        #expect(steps("[a-z]+") == ["[a-z]+"])
        #expect(steps("^[0-9a-fA-F]+$") == ["[0-9a-fA-F]+"])
        #expect(steps("[[^ ]]*") == ["[[^ ]]*"])
        #expect(steps("[[a-zA-Z0-9_]-]+_[0-9a-zA-Z]+") == ["[[a-zA-Z0-9_]-]+", "_", "[0-9a-zA-Z]+"])
        #expect(steps("import-[0-9a-zA-Z-]+") == ["i", "m", "p", "o", "r", "t", "-", "[0-9a-zA-Z-]+"])
        #expect(steps("[a\\]]+") == ["[a\\]]+"])
        #expect(steps("[a]\\+") == nil)
        #expect(steps("(a|b)") == nil)
        #expect(steps("[a]+[b]+[c]+[d]+") == nil)
        #expect(steps("[a]+.") == nil)
    }

    /// Patterns of several steps (a pool id's `[\w-]+_[0-9a-zA-Z]+`) backtrack as the regex does: over strings made
    /// of their own characters, the table and ICU agree.
    @Test func sequenceTablesAgreeWithTheRegex() {
        let sequences = Patterns.all.filter { $0.tabledSteps > 1 }
        #expect(Patterns.userPoolIdType.hasASCIITable)
        #expect(sequences.contains { $0 === Patterns.userPoolIdType })
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aZ9_-:@/.,= +é")
        let samples = ["", "us-east-1_AbC123", "a_b", "a_b_c", "_ab", "ab_", "a__b", "a-b_c9", "a_b-c", "_", "a_",
                       "import-", "import-x", "import-x_", "importx", "a@b", "@b", "a@"]
            + (0..<4000).map { _ in String((0..<Int.random(in: 0...10, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)! }) }
        for pattern in sequences {
            for sample in samples where pattern.matches(sample) != pattern.regexMatches(sample) {
                Issue.record("\(pattern.source) disagrees on \(sample.debugDescription)")
            }
        }
        #expect(Patterns.userPoolIdType.matches("us-east-1_AbC123"))
        #expect(!Patterns.userPoolIdType.matches("us-east-1_"))
        #expect(!Patterns.userPoolIdType.matches("us-east-1_a-b"))
    }

    @Test func enumWording() throws {
        #expect(try error(Schemas.initiateAuthRequest, #"{"AuthFlow":"NOPE","ClientId":"abc"}"#) == invalid(
            "1 validation error detected: Value 'NOPE' at 'authFlow' failed to satisfy constraint: "
                + "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, "
                + "CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH]"))
    }

    @Test func listOfEnumsIsReportedOnceForTheList() throws {
        let body = #"{"UserPoolId":"\#(Self.poolId)","ClientId":"abc","ExplicitAuthFlows":["ALLOW_USER_SRP_AUTH","BAD"]}"#
        #expect(try error(Schemas.updateUserPoolClientRequest, body) == invalid(
            "1 validation error detected: Value '[ALLOW_USER_SRP_AUTH, BAD]' at 'explicitAuthFlows' failed to satisfy "
                + "constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ADMIN_NO_SRP_AUTH, "
                + "CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH, ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_CUSTOM_AUTH, "
                + "ALLOW_USER_PASSWORD_AUTH, ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_AUTH, "
                + "ALLOW_TOKEN_EXCHANGE_DELEGATION, ALLOW_TOKEN_EXCHANGE_IMPERSONATION]]"))
    }

    @Test func listOfConstrainedStringsListsEveryItemConstraint() throws {
        let body = #"{"AccessToken":"tok","UserAttributeNames":["email",""]}"#
        #expect(try error(Schemas.deleteUserAttributesRequest, body) == invalid(
            "1 validation error detected: Value '[email, ]' at 'userAttributeNames' failed to satisfy constraint: "
                + "Member must satisfy constraint: [Member must have length less than or equal to 32, "
                + "Member must have length greater than or equal to 1, Member must satisfy regular expression "
                + #"pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+]"#))
    }

    @Test func listItemsOfStructuresHaveIndexedPaths() throws {
        let body = #"{"AccessToken":"tok","UserAttributes":[{"Name":"email","Value":"a@b.c"},{"Value":"x"}]}"#
        #expect(try error(Schemas.updateUserAttributesRequest, body) == invalid(
            "1 validation error detected: Value null at 'userAttributes.2.member.name' failed to satisfy "
                + "constraint: Member must not be null"))
        // null items are dropped before numbering, as AWS does.
        let withNull = #"{"AccessToken":"tok","UserAttributes":[null,{"Value":"x"}]}"#
        #expect(try error(Schemas.updateUserAttributesRequest, withNull) == invalid(
            "1 validation error detected: Value null at 'userAttributes.1.member.name' failed to satisfy "
                + "constraint: Member must not be null"))
    }

    @Test func nestedStructurePaths() throws {
        let body = #"{"UserPoolId":"\#(Self.poolId)","ClientId":"abc","AnalyticsConfiguration":{"ApplicationId":"x"}}"#
        let message = try #require(try error(Schemas.updateUserPoolClientRequest, body)).message
        #expect(message.hasPrefix("1 validation error detected: Value 'x' at 'analyticsConfiguration.applicationId'"))
    }

    @Test func sensitiveValuesAreNotShown() throws {
        // Inner spaces are allowed (PATTERN_OVERRIDES in gen-shapes.py); a leading or trailing one is not, nor is a
        // single character, and the message quotes the pattern AWS's service quotes.
        func password(_ value: String) -> String {
            #"{"ClientId":"abc","Username":"bob","ConfirmationCode":"1","Password":"\#(value)"}"#
        }
        for refused in [" a b", "a b ", "a\\t", "x"] {
            #expect(try error(Schemas.confirmForgotPasswordRequest, password(refused)) == invalid(
                "1 validation error detected: Value at 'password' failed to satisfy constraint: "
                    + #"Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$"#))
        }
        for accepted in ["a b", "ab", "a  b"] {
            #expect(try error(Schemas.confirmForgotPasswordRequest, password(accepted)) == nil)
        }
        // Over the maximum length only the length is reported: no regular expression runs on it (a security audit
        // found ICU backtracking for most of a second over a 1 KB password ending in a space).
        #expect(try error(Schemas.confirmForgotPasswordRequest, password(String(repeating: "a", count: 1024) + " ")) == invalid(
            "1 validation error detected: Value at 'password' failed to satisfy constraint: "
                + "Member must have length less than or equal to 256"))
        // A missing sensitive member is still shown as null.
        #expect(try error(Schemas.confirmForgotPasswordRequest, #"{"Username":"bob","ConfirmationCode":"1","Password":"pw"}"#)
            == invalid("1 validation error detected: Value null at 'clientId' failed to satisfy constraint: "
                + "Member must not be null"))
        // Sensitive attribute values inside a list are redacted too.
        let attrs = #"{"AccessToken":"tok","UserAttributes":[{"Name":"email","Value":"\#(String(repeating: "v", count: 2049))"}]}"#
        #expect(try error(Schemas.updateUserAttributesRequest, attrs) == invalid(
            "1 validation error detected: Value at 'userAttributes.1.member.value' failed to satisfy constraint: "
                + "Member must have length less than or equal to 2048"))
    }

    @Test func severalErrorsInMemberOrder() throws {
        let long = String(repeating: "n", count: 129)
        let body = #"{"ClientName":"\#(long)","RefreshTokenValidity":-1}"#
        #expect(try error(Schemas.updateUserPoolClientRequest, body) == invalid(
            "4 validation errors detected: "
                + "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; "
                + "Value null at 'clientId' failed to satisfy constraint: Member must not be null; "
                + "Value '\(long)' at 'clientName' failed to satisfy constraint: Member must have length less than or equal to 128; "
                + "Value '-1' at 'refreshTokenValidity' failed to satisfy constraint: Member must have value greater than or equal to 0"))
    }

    @Test func mapKeysAndValues() throws {
        let arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/\(Self.poolId)"
        #expect(try error(Schemas.tagResourceRequest, #"{"ResourceArn":"\#(arn)","Tags":{"team":"a"}}"#) == nil)
        let longValue = String(repeating: "v", count: 257)
        #expect(try error(Schemas.tagResourceRequest, #"{"ResourceArn":"\#(arn)","Tags":{"team":"\#(longValue)"}}"#)
            == invalid("1 validation error detected: Value '{team=\(longValue)}' at 'tags' failed to satisfy constraint: "
                + "Map value must satisfy constraint: [Member must have length less than or equal to 256, "
                + "Member must have length greater than or equal to 0]"))
        #expect(try error(Schemas.tagResourceRequest, #"{"ResourceArn":"\#(arn)","Tags":{"":"a"}}"#)
            == invalid("1 validation error detected: Value '{=a}' at 'tags' failed to satisfy constraint: "
                + "Map keys must satisfy constraint: [Member must have length less than or equal to 128, "
                + "Member must have length greater than or equal to 1]"))
        // Sensitive maps (AuthParameters) still type-check their values.
        #expect(try error(Schemas.initiateAuthRequest, #"{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"abc","AuthParameters":{"USERNAME":1}}"#)
            == serialization("NUMBER_VALUE can not be converted to a String"))
    }

    @Test func atMostTenErrorsAreListed() throws {
        var attributes: [String] = []
        for _ in 0..<15 { attributes.append(#"{"Value":"x"}"#) }
        let body = #"{"AccessToken":"tok","UserAttributes":[\#(attributes.joined(separator: ","))]}"#
        let message = try #require(try error(Schemas.updateUserAttributesRequest, body)).message
        #expect(message.hasPrefix("10 validation errors detected: "))
    }

    // MARK: - Serialization errors

    @Test func typeMismatchesAreSerializationExceptions() throws {
        let pool = #""UserPoolId":"\#(Self.poolId)""#
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"Limit":"10"}"#)
            == serialization("STRING_VALUE can not be converted to an Integer"))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"Limit":true}"#)
            == serialization("TRUE_VALUE can not be converted to an Integer"))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"Limit":[1]}"#)
            == serialization("Start of list found where not expected"))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"Limit":{}}"#)
            == serialization("Start of structure or map found where not expected."))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"Limit":1e12}"#)
            == serialization("NUMBER_VALUE can not be converted to an Integer"))
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":1}"#)
            == serialization("NUMBER_VALUE can not be converted to a String"))
        #expect(try error(Schemas.describeUserPoolRequest, #"{"UserPoolId":false}"#)
            == serialization("FALSE_VALUE can not be converted to a String"))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"AttributesToGet":"email"}"#)
            == serialization("Expected list or null"))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"AttributesToGet":{}}"#)
            == serialization("Start of structure or map found where not expected."))
        #expect(try error(Schemas.listUsersRequest, #"{\#(pool),"AttributesToGet":[["email"]]}"#)
            == serialization("Start of list found where not expected"))
        #expect(try error(Schemas.updateUserPoolClientRequest, #"{\#(pool),"ClientId":"a","TokenValidityUnits":"hours"}"#)
            == serialization("Expected null"))
        #expect(try error(Schemas.updateUserPoolClientRequest, #"{\#(pool),"ClientId":"a","EnableTokenRevocation":"true"}"#)
            == serialization("STRING_VALUE can not be converted to an Boolean"))
        #expect(try error(Schemas.tagResourceRequest, #"{"ResourceArn":"x","Tags":"a"}"#)
            == serialization("Expected map or null"))
        #expect(try error(Schemas.tagResourceRequest, #"{"ResourceArn":"x","Tags":[]}"#)
            == serialization("Start of list found where not expected"))
    }

    @Test func serializationErrorsWinOverConstraintErrors() throws {
        // The missing UserPoolId comes first in member order, but the type error is what AWS reports.
        #expect(try error(Schemas.listUsersRequest, #"{"Limit":"x"}"#)
            == serialization("STRING_VALUE can not be converted to an Integer"))
    }

    @Test func topLevelMustBeAnObject() throws {
        #expect(try error(Schemas.describeUserPoolRequest, "[]") == serialization("Start of list found where not expected"))
        #expect(try error(Schemas.describeUserPoolRequest, "\"x\"")?.code == .serialization)
        #expect(try error(Schemas.describeUserPoolRequest, "1")?.code == .serialization)
    }

    // MARK: - Decoding generated shapes

    @Test func userPoolClientRoundTrip() throws {
        let json = try JSON.parse(#"""
            {"UserPoolId":"us-east-1_AbC123","ClientName":"web","ClientId":"abc123",
             "ClientSecret":"s3cr3t","LastModifiedDate":1700000000.5,"CreationDate":1700000000,
             "RefreshTokenValidity":30,"AccessTokenValidity":60,"IdTokenValidity":60,
             "TokenValidityUnits":{"AccessToken":"minutes","IdToken":"minutes","RefreshToken":"days"},
             "ExplicitAuthFlows":["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"],
             "AllowedOAuthFlows":["client_credentials"],"PreventUserExistenceErrors":"ENABLED",
             "EnableTokenRevocation":true,"AuthSessionValidity":3,"Ignored":{"x":1}}
            """#)
        let client = try UserPoolClientType(json: json)
        #expect(client.clientId == "abc123")
        #expect(client.lastModifiedDate == Date(timeIntervalSince1970: 1_700_000_000.5))
        #expect(client.explicitAuthFlows == [.allowUserPasswordAuth, .allowRefreshTokenAuth])
        #expect(client.allowedOAuthFlows == [.clientCredentials])
        #expect(client.tokenValidityUnits?.accessToken == .minutes)
        #expect(client.preventUserExistenceErrors == .enabled)
        #expect(client.callbackURLs == nil)

        let out = client.toJSON()
        #expect(out["CreationDate"] == .int(1_700_000_000))
        #expect(out["LastModifiedDate"] == .double(1_700_000_000.5))
        #expect(out["CallbackURLs"] == nil)
        #expect(out["Ignored"] == nil)
        #expect(try UserPoolClientType(json: out) == client)
    }

    @Test func createUserPoolInputDecodes() throws {
        let body = try JSON.parse(#"""
            {"PoolName":"pool","Policies":{"PasswordPolicy":{"MinimumLength":8,"RequireUppercase":true}},
             "AutoVerifiedAttributes":["email"],"UsernameAttributes":["email"],"MfaConfiguration":"OFF",
             "Schema":[{"Name":"tenant","AttributeDataType":"String","Mutable":true,
                        "StringAttributeConstraints":{"MinLength":"1","MaxLength":"64"}}],
             "UserPoolTags":{"team":"id"},"DeletionProtection":"INACTIVE"}
            """#)
        try CreateUserPoolInput.schema.validate(body)
        let input = try CreateUserPoolInput(json: body)
        #expect(input.poolName == "pool")
        #expect(input.policies?.passwordPolicy?.minimumLength == 8)
        #expect(input.autoVerifiedAttributes == [.email])
        #expect(input.usernameAttributes == [.email])
        #expect(input.mfaConfiguration == .off)
        #expect(input.schema?.first?.attributeDataType == .string)
        #expect(input.schema?.first?.mutable == true)
        #expect(input.schema?.first?.stringAttributeConstraints?.maxLength == "64")
        #expect(input.userPoolTags == ["team": "id"])
        #expect(input.deletionProtection == .inactive)
        #expect(try CreateUserPoolInput(json: input.toJSON()) == input)
    }

    @Test func decodingErrors() throws {
        // Unknown enum value, wrong type, missing required member: SerializationException.
        #expect(throws: AWSError.self) { try UserPoolClientType(json: .object(["ExplicitAuthFlows": .array([.string("X")])])) }
        #expect(throws: AWSError(.serialization, "NUMBER_VALUE can not be converted to a String")) {
            try UserPoolClientType(json: .object(["ClientId": .int(1)]))
        }
        #expect(throws: AWSError.self) { try DescribeUserPoolInput(json: .object([:])) }
        #expect(throws: AWSError(.serialization, "Start of list found where not expected")) {
            try DescribeUserPoolInput(json: .array([]))
        }
        // null list items are dropped.
        let flows = try UserPoolClientType(json: .object(["ExplicitAuthFlows": .array([.null, .string("ALLOW_CUSTOM_AUTH")])]))
        #expect(flows.explicitAuthFlows == [.allowCustomAuth])
    }

    @Test func memberwiseInitAndEnums() {
        let input = AdminCreateUserInput(userPoolId: Self.poolId, username: "bob", messageAction: .suppress)
        #expect(input.toJSON() == .object([
            "UserPoolId": .string(Self.poolId), "Username": .string("bob"), "MessageAction": .string("SUPPRESS"),
        ]))
        #expect(ExplicitAuthFlowsType.allCases.count == 11)
        #expect(UserStatusType.forceChangePassword.rawValue == "FORCE_CHANGE_PASSWORD")
        #expect(AttributeDataType.dateTime.rawValue == "DateTime")
        #expect(PreTokenGenerationLambdaVersionType.v1_0.rawValue == "V1_0")
    }

    @Test func operationTables() {
        // botocore 1.44.8's model (Tests/e2e/requirements.txt pins it; gen-shapes.py reads it).
        #expect(OperationModel.allOperations.count == 153)
        #expect(OperationModel.publicOperations.count == 34)
        #expect(OperationModel.publicOperations.contains("ListUserSessions"))
        #expect(OperationModel.publicOperations.contains("ConfirmForgotPassword"))
        #expect(OperationModel.publicOperations.contains("DeleteUser"))
        #expect(!OperationModel.publicOperations.contains("UpdateUserPoolClient"))
        #expect(OperationModel.publicOperations.isSubset(of: OperationModel.allOperations))
        #expect(DeleteUserPoolClientOutput.self == EmptyShape.self)
    }
}
