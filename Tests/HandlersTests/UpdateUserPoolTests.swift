import Foundation
import Testing

@testable import Handlers

struct UpdateUserPoolTests {
    /// A pool with many settings away from their defaults.
    static let rich: [String: JSON] = [
        "Policies": ["PasswordPolicy": ["MinimumLength": 14, "RequireSymbols": true]],
        "DeletionProtection": "ACTIVE",
        "LambdaConfig": ["PostConfirmation": "arn:aws:lambda:us-east-1:123456789012:function:post"],
        "AutoVerifiedAttributes": ["email", "phone_number"],
        "UsernameAttributes": ["email"],
        "UsernameConfiguration": ["CaseSensitive": true],
        // CreateUserPool takes MFA only with SMS (CreateUserPoolTests.mfaAtCreationNeedsSms).
        "MfaConfiguration": "OPTIONAL",
        "SmsConfiguration": ["SnsCallerArn": "arn:aws:iam::123456789012:role/sns"],
        "EmailVerificationMessage": "Code {####}",
        "AdminCreateUserConfig": ["AllowAdminCreateUserOnly": true],
        "UserPoolTags": ["team": "auth"],
        "UserPoolTier": "PLUS",
        "Schema": [["Name": "tenant", "AttributeDataType": "String"]],
    ]

    @Test func omittedSettingsGoBackToTheirDefaults() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "rich", Self.rich)
        let before = CreateUserPoolTests.describe(h, id)
        h.clock.advance(90)

        #expect(h.ok("UpdateUserPool", ["UserPoolId": .string(id)]) == [:])
        let after = CreateUserPoolTests.describe(h, id)

        // Reset, as AWS documents ("If you don't provide a value ... sets it to its default value").
        #expect(after["Policies"]?["PasswordPolicy"] == [
            "MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true,
            "RequireSymbols": true, "TemporaryPasswordValidityDays": 7,
        ])
        #expect(after["DeletionProtection"] == "INACTIVE")
        #expect(after["LambdaConfig"] == [:])
        #expect(after["AutoVerifiedAttributes"] == nil)
        #expect(after["MfaConfiguration"] == "OFF")
        #expect(after["SmsConfiguration"] == nil)
        #expect(after["EmailVerificationMessage"] == nil)
        #expect(after["VerificationMessageTemplate"] == ["DefaultEmailOption": "CONFIRM_WITH_CODE"])
        #expect(after["AdminCreateUserConfig"] == ["AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7])

        // Kept: what UpdateUserPool cannot change, the tier (AWS's documented exception) and the tags.
        for kept in ["Id", "Arn", "Name", "CreationDate", "SchemaAttributes", "UsernameAttributes",
                     "UsernameConfiguration", "UserPoolTier", "UserPoolTags"] {
            #expect(after[kept] == before[kept], "\(kept) changed")
        }
        #expect(after["UserPoolTier"] == "PLUS")
        #expect(after["UserPoolTags"] == ["team": "auth"])
        #expect(after["LastModifiedDate"] == .int(1_790_000_090))
    }

    @Test func appliesWhatItIsGiven() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "old name", Self.rich)
        _ = h.ok("UpdateUserPool", [
            "UserPoolId": .string(id),
            "PoolName": "new name",
            "Policies": [
                "PasswordPolicy": ["MinimumLength": 20, "RequireNumbers": true, "TemporaryPasswordValidityDays": 2],
            ],
            "DeletionProtection": "ACTIVE",
            "AutoVerifiedAttributes": ["email", "phone_number"],
            "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": ["phone_number"]],
            "VerificationMessageTemplate": ["SmsMessage": "Code {####}"],
            "MfaConfiguration": "OPTIONAL",
            "UserPoolTags": ["env": "prod"],
            "UserPoolTier": "LITE",
        ])
        let after = CreateUserPoolTests.describe(h, id)
        #expect(after["Name"] == "new name")
        #expect(after["Policies"]?["PasswordPolicy"] == [
            "MinimumLength": 20, "RequireUppercase": false, "RequireLowercase": false, "RequireNumbers": true,
            "RequireSymbols": false, "TemporaryPasswordValidityDays": 2,
        ])
        #expect(after["DeletionProtection"] == "ACTIVE")
        #expect(after["AutoVerifiedAttributes"] == ["email", "phone_number"])
        #expect(after["UserAttributeUpdateSettings"] == ["AttributesRequireVerificationBeforeUpdate": ["phone_number"]])
        #expect(after["SmsVerificationMessage"] == "Code {####}")
        #expect(after["MfaConfiguration"] == "OPTIONAL")
        #expect(after["UserPoolTags"] == ["env": "prod"])
        #expect(after["UserPoolTier"] == "LITE")
        #expect(after["UsernameConfiguration"] == ["CaseSensitive": true])
        #expect(CreateUserPoolTests.attribute(after, "custom:tenant") != nil)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        let (status, body) = h.query("UpdateUserPool", [("UserPoolId", id), ("MfaConfiguration", "OPTIONAL")])
        #expect(status == 200)
        #expect(body == [:])
        #expect(CreateUserPoolTests.describe(h, id)["MfaConfiguration"] == "OPTIONAL")
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        _ = CreateUserPoolTests.create(h)
        let before = h.snapshot()
        #expect(h.fails("UpdateUserPool", ["UserPoolId": "us-east-1_missing99"], "ResourceNotFoundException")
            == "User pool us-east-1_missing99 does not exist.")
        #expect(h.snapshot() == before)
    }

    /// The trap users report (aws/aws-cli#7151): the pool auto-verifies email, but an update that sets
    /// AttributesRequireVerificationBeforeUpdate without repeating AutoVerifiedAttributes resets them first.
    @Test func verificationBeforeUpdateNeedsAutoVerificationInTheSameRequest() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "p", ["AutoVerifiedAttributes": ["email"]])
        let before = h.snapshot()
        #expect(h.fails("UpdateUserPool", [
            "UserPoolId": .string(id),
            "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": ["email"]],
        ], "InvalidParameterException")
            == "All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes")
        #expect(h.snapshot() == before)
    }

    /// Observed on AWS (ekristen/aws-nuke#477): left out, UserAttributeUpdateSettings keeps its stored value, which
    /// must still fit the request's AutoVerifiedAttributes (reset to none when left out). A pool that holds changed
    /// emails until verified refuses an update that would silently drop that; sending both again keeps it.
    @Test func anOmittedVerificationBeforeUpdateIsKeptAndStillChecked() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h, "p", [
            "AutoVerifiedAttributes": ["email"],
            "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": ["email"]],
            "DeletionProtection": "ACTIVE",
        ])
        let before = h.snapshot()
        #expect(h.fails("UpdateUserPool", ["UserPoolId": .string(id), "DeletionProtection": "INACTIVE"],
                        "InvalidParameterException")
            == "All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes")
        #expect(h.snapshot() == before)
        h.ok("UpdateUserPool", ["UserPoolId": .string(id), "AutoVerifiedAttributes": ["email"], "MfaConfiguration": "OFF"])
        let pool = CreateUserPoolTests.describe(h, id)
        #expect(pool["UserAttributeUpdateSettings"] == ["AttributesRequireVerificationBeforeUpdate": ["email"]])
        #expect(pool["DeletionProtection"] == "INACTIVE")
    }

    /// DcrConfiguration: "If you omit this parameter, Amazon Cognito keeps the existing configuration". The issuer
    /// and key configurations are kept too when omitted (our choice: they are the pool's identity, which secondary
    /// regions "must match"); given, each replaces the stored one, and one refused changes nothing.
    @Test func dcrIssuerAndKeyConfigurationsAreKeptWhenOmitted() throws {
        let h = try Harness()
        let dcr: JSON = ["EnableStatus": "Disabled", "AllowedScopes": ["email"]]
        let id = CreateUserPoolTests.create(h, "p", [
            "DcrConfiguration": dcr, "IssuerConfiguration": ["Type": "ORIGINAL"],
            "KeyConfiguration": ["KeyType": "AWS_OWNED_KEY"],
        ])
        h.ok("UpdateUserPool", ["UserPoolId": .string(id), "MfaConfiguration": "OFF"])
        var pool = CreateUserPoolTests.describe(h, id)
        #expect(pool["DcrConfiguration"] == dcr && pool["IssuerConfiguration"] == ["Type": "ORIGINAL"])
        #expect(pool["KeyConfiguration"] == ["KeyType": "AWS_OWNED_KEY"])

        h.ok("UpdateUserPool", [
            "UserPoolId": .string(id), "DcrConfiguration": ["EnableStatus": "Disabled"],
            "IssuerConfiguration": ["Type": "UPDATED"],
        ])
        pool = CreateUserPoolTests.describe(h, id)
        #expect(pool["DcrConfiguration"] == ["EnableStatus": "Disabled"])
        #expect(pool["IssuerConfiguration"] == ["Type": "UPDATED"])

        let before = h.snapshot()
        #expect(h.fails("UpdateUserPool", ["UserPoolId": .string(id), "DcrConfiguration": ["OpenDcrEnabled": true]],
                        "InvalidParameterException") == CreateUserPoolTests.noDcr)
        let managedKey: JSON = ["KeyType": "CUSTOMER_MANAGED_KEY"]
        #expect(h.fails("UpdateUserPool", ["UserPoolId": .string(id), "KeyConfiguration": managedKey],
                        "InvalidParameterException") == CreateUserPoolTests.noKms)
        #expect(h.snapshot() == before)
    }

    /// The SMS rule is CreateUserPool's ("The CreateUserPool operation supports only SMS MFA configuration"): an
    /// update may make MFA optional alone. ON, which no user here could satisfy, and SOFTWARE_TOKEN as a first factor
    /// are refused here too.
    @Test func mfaAndFirstFactorsOnUpdate() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        h.ok("UpdateUserPool", ["UserPoolId": .string(id), "MfaConfiguration": "OPTIONAL"])
        #expect(CreateUserPoolTests.describe(h, id)["MfaConfiguration"] == "OPTIONAL")
        let before = h.snapshot()
        let on = h.fails(
            "UpdateUserPool", ["UserPoolId": .string(id), "MfaConfiguration": "ON"], "InvalidParameterException")
        #expect(on == CreateUserPoolTests.noMfaOn)
        let policies: JSON = ["SignInPolicy": ["AllowedFirstAuthFactors": ["PASSWORD", "SOFTWARE_TOKEN"]]]
        let refusal = h.fails(
            "UpdateUserPool", ["UserPoolId": .string(id), "Policies": policies], "InvalidParameterException")
        #expect(refusal == "SOFTWARE_TOKEN is not supported as a first authentication factor.")
        #expect(h.snapshot() == before)
    }

    @Test func modelConstraints() throws {
        let h = try Harness()
        let id = CreateUserPoolTests.create(h)
        let before = h.snapshot()
        h.fails("UpdateUserPool", [:], "InvalidParameterException")
        h.fails("UpdateUserPool", ["UserPoolId": .string(id), "DeletionProtection": "MAYBE"], "InvalidParameterException")
        h.fails("UpdateUserPool", ["UserPoolId": .string(id), "PoolName": ""], "InvalidParameterException")
        h.fails("UpdateUserPool", ["UserPoolId": .string(id), "AutoVerifiedAttributes": ["preferred_username"]],
                "InvalidParameterException")
        #expect(h.snapshot() == before)
        // UsernameAttributes is not an UpdateUserPool member: ignored, like any unknown member.
        _ = h.ok("UpdateUserPool", ["UserPoolId": .string(id), "UsernameAttributes": ["phone_number"]])
        #expect(CreateUserPoolTests.describe(h, id)["UsernameAttributes"] == nil)
    }
}
