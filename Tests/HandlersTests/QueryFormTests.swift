import Foundation
import Testing

@testable import Handlers

struct QueryFormTests {
    static let poolId = "us-east-1_AbC123"

    func json(_ query: String, _ schema: Schema) throws -> JSON {
        try QueryForm.json(from: QueryForm.parse(query), schema: schema)
    }

    func pairs(_ raw: String) -> [String] { QueryForm.parse(raw).map { "\($0.0)=\($0.1)" } }

    // MARK: - parse

    @Test func parseDecodesPercentEscapesAndPlus() {
        #expect(pairs("Action=SignUp&Username=a%40b.c&Note=two+words%2Bplus") == [
            "Action=SignUp", "Username=a@b.c", "Note=two words+plus",
        ])
        #expect(pairs("A=%C3%A9&B=%e2%82%ac") == ["A=é", "B=€"])
        #expect(pairs("Flows=%5B%22A%22%5D") == [#"Flows=["A"]"#])
    }

    @Test func parseSurvivesMalformedInput() {
        #expect(pairs("") == [])
        #expect(pairs("&&a=1&&") == ["a=1"])
        #expect(pairs("flag&b=") == ["flag=", "b="])
        #expect(pairs("=x&c=1") == ["c=1"])  // no name: dropped
        #expect(pairs("a=1=2") == ["a=1=2"])  // only the first '=' splits
        #expect(pairs("a=%zz&b=%4&c=%") == ["a=%zz", "b=%4", "c=%"])
        #expect(pairs("a=%FF%FE") == ["a=\u{FFFD}\u{FFFD}"])  // invalid UTF-8
        #expect(pairs("a=%C3") == ["a=\u{FFFD}"])  // truncated sequence
        #expect(pairs("a=%00") == ["a=\u{0}"])
    }

    // MARK: - json(from:schema:)

    @Test func scalarsAreConvertedToTheMemberType() throws {
        let out = try json(
            "Action=UpdateUserPoolClient&Version=2016-04-18&UserPoolId=\(Self.poolId)&ClientId=abc"
                + "&AccessTokenValidity=5&EnableTokenRevocation=false&ClientName=my+app", Schemas.updateUserPoolClientRequest)
        #expect(out == .object([
            "UserPoolId": .string(Self.poolId), "ClientId": .string("abc"), "AccessTokenValidity": .int(5),
            "EnableTokenRevocation": .bool(false), "ClientName": .string("my app"),
        ]))
    }

    @Test func badScalarsAreSerializationExceptions() throws {
        #expect(throws: AWSError(.serialization, "STRING_VALUE can not be converted to an Integer")) {
            try json("UserPoolId=\(Self.poolId)&Limit=ten", Schemas.listUsersRequest)
        }
        #expect(throws: AWSError(.serialization, "STRING_VALUE can not be converted to an Boolean")) {
            try json("UserPoolId=x&ClientId=y&EnableTokenRevocation=yes", Schemas.updateUserPoolClientRequest)
        }
        // Strings stay strings even when they look like numbers or JSON.
        #expect(try json("UserPoolId=123", Schemas.describeUserPoolRequest) == .object(["UserPoolId": .string("123")]))
    }

    @Test func protocolAndUnknownParametersAreIgnored() throws {
        let out = try json(
            "Action=DescribeUserPool&Version=2016-04-18&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
                + "&UserPoolId=\(Self.poolId)&Unknown=1&userpoolid=lower", Schemas.describeUserPoolRequest)
        #expect(out == .object(["UserPoolId": .string(Self.poolId)]))
        #expect(try json("Action=DescribeUserPool", Schemas.describeUserPoolRequest) == .object([:]))
    }

    @Test func listsAsQueryMembersOrderedByIndex() throws {
        let out = try json(
            "ExplicitAuthFlows.member.2=ALLOW_REFRESH_TOKEN_AUTH&ExplicitAuthFlows.member.1=ALLOW_USER_PASSWORD_AUTH"
                + "&ExplicitAuthFlows.member.10=ALLOW_CUSTOM_AUTH", Schemas.updateUserPoolClientRequest)
        #expect(out["ExplicitAuthFlows"] == .array([
            .string("ALLOW_USER_PASSWORD_AUTH"), .string("ALLOW_REFRESH_TOKEN_AUTH"), .string("ALLOW_CUSTOM_AUTH"),
        ]))
        let short = try json("ReadAttributes.1=email&ReadAttributes.2=name", Schemas.updateUserPoolClientRequest)
        #expect(short["ReadAttributes"] == .array([.string("email"), .string("name")]))
    }

    @Test func listsAsJSONOrPlainValues() throws {
        let fromJSON = try json(#"ExplicitAuthFlows=%5B%22ALLOW_USER_PASSWORD_AUTH%22%2C%22ALLOW_USER_SRP_AUTH%22%5D"#,
                                Schemas.updateUserPoolClientRequest)
        #expect(fromJSON["ExplicitAuthFlows"] == .array([.string("ALLOW_USER_PASSWORD_AUTH"), .string("ALLOW_USER_SRP_AUTH")]))
        let single = try json("ExplicitAuthFlows=ALLOW_USER_SRP_AUTH", Schemas.updateUserPoolClientRequest)
        #expect(single["ExplicitAuthFlows"] == .array([.string("ALLOW_USER_SRP_AUTH")]))
        let repeated = try json("ReadAttributes=email&ReadAttributes=name", Schemas.updateUserPoolClientRequest)
        #expect(repeated["ReadAttributes"] == .array([.string("email"), .string("name")]))
        // An empty value is an empty list (how AWS's query serializers send one).
        let empty = try json("ExplicitAuthFlows=", Schemas.updateUserPoolClientRequest)
        #expect(empty["ExplicitAuthFlows"] == .array([]))
    }

    @Test func attributeListsByMemberOrJSON() throws {
        let byMember = try json(
            "AccessToken=tok&UserAttributes.member.1.Name=email&UserAttributes.member.1.Value=a%40b.c"
                + "&UserAttributes.member.2.Name=name&UserAttributes.member.2.Value=Bob+B", Schemas.updateUserAttributesRequest)
        let expected = JSON.array([
            .object(["Name": .string("email"), "Value": .string("a@b.c")]),
            .object(["Name": .string("name"), "Value": .string("Bob B")]),
        ])
        #expect(byMember["UserAttributes"] == expected)
        let raw = #"[{"Name":"email","Value":"a@b.c"},{"Name":"name","Value":"Bob B"}]"#
        let byJSON = try QueryForm.json(from: [("AccessToken", "tok"), ("UserAttributes", raw)],
                                        schema: Schemas.updateUserAttributesRequest)
        #expect(byJSON["UserAttributes"] == expected)
        #expect(throws: AWSError.self) {
            try QueryForm.json(from: [("UserAttributes", "[{broken")], schema: Schemas.updateUserAttributesRequest)
        }
    }

    @Test func nestedStructuresByDotsOrJSON() throws {
        let dotted = try json("TokenValidityUnits.AccessToken=hours&TokenValidityUnits.IdToken=minutes",
                              Schemas.updateUserPoolClientRequest)
        #expect(dotted["TokenValidityUnits"] == .object(["AccessToken": .string("hours"), "IdToken": .string("minutes")]))
        let fromJSON = try QueryForm.json(from: [("TokenValidityUnits", #"{"RefreshToken":"days"}"#)],
                                          schema: Schemas.updateUserPoolClientRequest)
        #expect(fromJSON["TokenValidityUnits"] == .object(["RefreshToken": .string("days")]))
        #expect(throws: AWSError.self) {
            try QueryForm.json(from: [("TokenValidityUnits", "hours")], schema: Schemas.updateUserPoolClientRequest)
        }
        // Unknown nested members are ignored like unknown top-level ones.
        #expect(try json("TokenValidityUnits.Nope=1", Schemas.updateUserPoolClientRequest)["TokenValidityUnits"] == nil)
    }

    @Test func mapsByEntryNameOrJSON() throws {
        let entries = try json(
            "ClientId=c&Username=u&ConfirmationCode=1&Password=p&ClientMetadata.entry.1.key=a&ClientMetadata.entry.1.value=1"
                + "&ClientMetadata.entry.2.key=b&ClientMetadata.entry.2.value=2", Schemas.confirmForgotPasswordRequest)
        #expect(entries["ClientMetadata"] == .object(["a": .string("1"), "b": .string("2")]))
        let named = try json("ClientMetadata.source=web", Schemas.confirmForgotPasswordRequest)
        #expect(named["ClientMetadata"] == .object(["source": .string("web")]))
        let fromJSON = try QueryForm.json(from: [("ClientMetadata", #"{"k":"v"}"#)], schema: Schemas.confirmForgotPasswordRequest)
        #expect(fromJSON["ClientMetadata"] == .object(["k": .string("v")]))
    }

    @Test func namesAreCaseSensitive() throws {
        #expect(try json("clientId=abc&CLIENTID=x", Schemas.deleteUserPoolClientRequest) == .object([:]))
    }

    @Test func seedStyleCallValidatesAndDecodes() throws {
        // The seed's GET form for UpdateUserPoolClient, through the same validation and decoding as JSON.
        let query = "Action=UpdateUserPoolClient&UserPoolId=\(Self.poolId)&ClientId=abc123&ClientName=web"
            + "&ExplicitAuthFlows.member.1=ALLOW_USER_PASSWORD_AUTH&ExplicitAuthFlows.member.2=ALLOW_REFRESH_TOKEN_AUTH"
            + "&RefreshTokenValidity=30&TokenValidityUnits.RefreshToken=days&PreventUserExistenceErrors=ENABLED"
        let body = try json(query, UpdateUserPoolClientInput.schema)
        try UpdateUserPoolClientInput.schema.validate(body)
        let input = try UpdateUserPoolClientInput(json: body)
        #expect(input.userPoolId == Self.poolId)
        #expect(input.explicitAuthFlows == [.allowUserPasswordAuth, .allowRefreshTokenAuth])
        #expect(input.refreshTokenValidity == 30)
        #expect(input.tokenValidityUnits?.refreshToken == .days)
        #expect(input.preventUserExistenceErrors == .enabled)

        // A bad enum value in the query form gets AWS's wording too.
        let bad = try json("UserPoolId=\(Self.poolId)&ClientId=abc&ExplicitAuthFlows.member.1=NOPE",
                           UpdateUserPoolClientInput.schema)
        #expect(throws: AWSError.self) { try UpdateUserPoolClientInput.schema.validate(bad) }
        do {
            try UpdateUserPoolClientInput.schema.validate(bad)
        } catch {
            #expect(error.code == .invalidParameter)
            #expect(error.message.hasPrefix(
                "1 validation error detected: Value '[NOPE]' at 'explicitAuthFlows' failed to satisfy constraint: "
                    + "Member must satisfy constraint: [Member must satisfy enum value set: ["))
        }
    }
}
