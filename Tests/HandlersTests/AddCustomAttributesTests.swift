import Foundation
import Testing

@testable import Handlers

struct AddCustomAttributesTests {
    /// The request body adding `attributes` to `poolId`.
    func input(_ poolId: String, _ attributes: JSON...) -> JSON {
        ["UserPoolId": .string(poolId), "CustomAttributes": .array(attributes)]
    }

    @Test func appendsCustomAttributes() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "p", ["Schema": [["Name": "first", "AttributeDataType": "String"]]])
        h.clock.advance(30)
        let out = h.ok("AddCustomAttributes", [
            "UserPoolId": .string(id),
            "CustomAttributes": [
                ["Name": "plan", "AttributeDataType": "String", "StringAttributeConstraints": ["MaxLength": "32"]],
                ["Name": "score", "AttributeDataType": "Number", "Mutable": false],
                ["Name": "flag", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": true],
                ["Name": "since", "AttributeDataType": "DateTime"],
            ],
        ])
        #expect(out == [:])
        let pool = CreateUserPoolTests.describe(h, id)
        let names = pool["SchemaAttributes"]?.arrayValue?.compactMap { $0["Name"]?.stringValue }
        #expect(names == CreateUserPoolTests.standardNames + [
            "custom:first", "custom:plan", "custom:score", "dev:custom:flag", "custom:since",
        ])
        #expect(CreateUserPoolTests.attribute(pool, "custom:plan") == [
            "Name": "custom:plan", "AttributeDataType": "String", "DeveloperOnlyAttribute": false, "Mutable": true,
            "Required": false, "StringAttributeConstraints": ["MaxLength": "32"],
        ])
        #expect(CreateUserPoolTests.attribute(pool, "custom:score") == [
            "Name": "custom:score", "AttributeDataType": "Number", "DeveloperOnlyAttribute": false, "Mutable": false,
            "Required": false, "NumberAttributeConstraints": [:],
        ])
        #expect(CreateUserPoolTests.attribute(pool, "dev:custom:flag")?["DeveloperOnlyAttribute"] == true)
        #expect(pool["LastModifiedDate"] == .int(1_790_000_030))
        #expect(pool["CreationDate"] == CreateUserPoolTests.createdAt)
    }

    @Test func aStandardNameBecomesACustomAttribute() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        _ = h.ok("AddCustomAttributes", input(id, ["Name": "email", "AttributeDataType": "String"]))
        let pool = CreateUserPoolTests.describe(h, id)
        #expect(CreateUserPoolTests.attribute(pool, "custom:email") != nil)
        #expect(CreateUserPoolTests.attribute(pool, "email")?["Mutable"] == true)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        let (status, _) = h.query("AddCustomAttributes", [
            ("UserPoolId", id), ("CustomAttributes", #"[{"Name":"q","AttributeDataType":"String"}]"#),
        ])
        #expect(status == 200)
        #expect(CreateUserPoolTests.attribute(CreateUserPoolTests.describe(h, id), "custom:q") != nil)
    }

    /// Expects the call to fail with `type` (and `message`) and to leave the store untouched.
    func refused(_ h: Harness, _ input: JSON, _ type: String, _ message: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
        let before = h.snapshot()
        let got = h.fails("AddCustomAttributes", input, type, sourceLocation: sourceLocation)
        if let message { #expect(got == message, sourceLocation: sourceLocation) }
        #expect(h.snapshot() == before, "the store changed", sourceLocation: sourceLocation)
    }

    @Test func existingName() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "p", ["Schema": [["Name": "plan", "AttributeDataType": "String"]]])
        refused(h, input(id, ["Name": "plan", "AttributeDataType": "Number"]),
                "InvalidParameterException", "custom:plan: Existing attribute already has name custom:plan.")
        // Twice in one request, and nothing of the request is kept.
        let a: JSON = ["Name": "a", "AttributeDataType": "String"]
        refused(h, input(id, a, a), "InvalidParameterException", "custom:a: Existing attribute already has name custom:a.")
        let developerOnly: JSON = ["Name": "x", "AttributeDataType": "String", "DeveloperOnlyAttribute": true]
        _ = h.ok("AddCustomAttributes", input(id, developerOnly))
        refused(h, input(id, developerOnly), "InvalidParameterException",
                "custom:x: Existing attribute already has name dev:custom:x.")
    }

    @Test func requiredIsRefused() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        refused(h, input(id, ["Name": "r", "AttributeDataType": "String", "Required": true]),
                "InvalidParameterException", "Required custom attributes are not supported currently.")
    }

    @Test func typeAndConstraints() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        refused(h, ["UserPoolId": .string(id), "CustomAttributes": [["Name": "t"]]], "InvalidParameterException",
                "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
        refused(h, input(id, ["Name": "t", "AttributeDataType": "String",
                              "StringAttributeConstraints": ["MinLength": "5", "MaxLength": "4"]]),
                "InvalidParameterException", "user.custom:t: Max length cannot be less than min length.")
    }

    @Test func atMostFiftyCustomAttributes() throws {
        let h = try Harness()
        let schema: [JSON] = (1...30).map { ["Name": .string("c\($0)"), "AttributeDataType": "String"] }
        let id = CreateUserPoolTests.create(h, "p", ["Schema": .array(schema)])
        let more: [JSON] = (1...21).map { ["Name": .string("m\($0)"), "AttributeDataType": "String"] }
        refused(h, ["UserPoolId": .string(id), "CustomAttributes": .array(more)], "InvalidParameterException",
                "A user pool can have at most 50 custom attributes.")
        _ = h.ok("AddCustomAttributes", ["UserPoolId": .string(id), "CustomAttributes": .array(Array(more.prefix(20)))])
        let count = CreateUserPoolTests.describe(h, id)["SchemaAttributes"]?.arrayValue?.count
        #expect(count == CreateUserPoolTests.standardNames.count + 50)
        refused(h, ["UserPoolId": .string(id), "CustomAttributes": [["Name": "one", "AttributeDataType": "String"]]],
                "InvalidParameterException", "A user pool can have at most 50 custom attributes.")
    }

    @Test func unknownPoolAndModelConstraints() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        refused(h, ["UserPoolId": "us-east-1_nothere12", "CustomAttributes": [["Name": "a", "AttributeDataType": "String"]]],
                "ResourceNotFoundException", "User pool us-east-1_nothere12 does not exist.")
        refused(h, ["UserPoolId": .string(id), "CustomAttributes": []], "InvalidParameterException")
        refused(h, ["UserPoolId": .string(id)], "InvalidParameterException")
        refused(h, input(id, ["Name": "waytoolongattributename", "AttributeDataType": "String"]),
                "InvalidParameterException")
    }
}
