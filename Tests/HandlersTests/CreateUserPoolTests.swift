import Foundation
import Testing

@testable import Handlers

struct CreateUserPoolTests {
    // MARK: Helpers the user-pool tests share

    /// Creates a pool over the JSON protocol and returns its id.
    static func create(_ h: Harness, _ name: String = "pool", _ extra: [String: JSON] = [:],
                       sourceLocation: SourceLocation = #_sourceLocation) -> String {
        var input = extra
        input["PoolName"] = .string(name)
        let out = h.ok("CreateUserPool", .object(input), sourceLocation: sourceLocation)
        return out["UserPool"]?["Id"]?.stringValue ?? ""
    }

    static func describe(_ h: Harness, _ id: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        h.ok("DescribeUserPool", ["UserPoolId": .string(id)], sourceLocation: sourceLocation)["UserPool"] ?? .null
    }

    /// The pool's `pool.json` exactly as stored.
    static func stored(_ h: Harness, _ id: String) throws -> JSON? {
        try h.store.withPool(id, .shared) { tx in try tx.read(nil, "pool") }
    }

    static func attribute(_ pool: JSON, _ name: String) -> JSON? {
        pool["SchemaAttributes"]?.arrayValue?.first { $0["Name"]?.stringValue == name }
    }

    static let standardNames = [
        "sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
        "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale",
        "phone_number", "phone_number_verified", "address", "updated_at", "identities",
    ]

    static let createdAt = JSON.int(1_790_000_000)

    // MARK: Success

    @Test func defaultsForEverythingOmitted() throws {
        let h = try Harness()
        let out = h.ok("CreateUserPool", ["PoolName": "my pool"])
        let pool = try #require(out["UserPool"])
        let id = try #require(pool["Id"]?.stringValue)

        #expect(id.wholeMatch(of: /us-east-1_[0-9a-zA-Z]{9}/) != nil)
        #expect(pool["Name"] == "my pool")
        #expect(pool["Arn"] == .string("arn:aws:cognito-idp:us-east-1:000000000000:userpool/\(id)"))
        #expect(pool["Policies"] == [
            "PasswordPolicy": [
                "MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true,
                "RequireSymbols": true, "TemporaryPasswordValidityDays": 7,
            ],
            "SignInPolicy": ["AllowedFirstAuthFactors": ["PASSWORD"]],
        ])
        #expect(pool["DeletionProtection"] == "INACTIVE")
        #expect(pool["MfaConfiguration"] == "OFF")
        #expect(pool["LambdaConfig"] == [:])
        #expect(pool["AdminCreateUserConfig"] == ["AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7])
        #expect(pool["VerificationMessageTemplate"] == ["DefaultEmailOption": "CONFIRM_WITH_CODE"])
        #expect(pool["EmailConfiguration"] == ["EmailSendingAccount": "COGNITO_DEFAULT"])
        #expect(pool["UserAttributeUpdateSettings"] == ["AttributesRequireVerificationBeforeUpdate": []])
        #expect(pool["UsernameConfiguration"] == ["CaseSensitive": false])
        #expect(pool["UserPoolTier"] == "ESSENTIALS")
        #expect(pool["CreationDate"] == Self.createdAt)
        #expect(pool["LastModifiedDate"] == Self.createdAt)
        #expect(pool["EstimatedNumberOfUsers"] == 0)
        for absent in ["AutoVerifiedAttributes", "AliasAttributes", "UsernameAttributes", "UserPoolTags",
                       "EmailVerificationMessage", "SmsConfiguration", "Domain", "Status"] {
            #expect(pool[absent] == nil, "\(absent) should be absent")
        }

        // The schema is AWS's standard attributes, as DescribeUserPool shows them.
        let names = pool["SchemaAttributes"]?.arrayValue?.compactMap { $0["Name"]?.stringValue }
        #expect(names == Self.standardNames)
        #expect(Self.attribute(pool, "sub") == [
            "Name": "sub", "AttributeDataType": "String", "DeveloperOnlyAttribute": false, "Mutable": false,
            "Required": true, "StringAttributeConstraints": ["MinLength": "1", "MaxLength": "2048"],
        ])
        #expect(Self.attribute(pool, "email") == [
            "Name": "email", "AttributeDataType": "String", "DeveloperOnlyAttribute": false, "Mutable": true,
            "Required": false, "StringAttributeConstraints": ["MinLength": "0", "MaxLength": "2048"],
        ])
        #expect(Self.attribute(pool, "email_verified") == [
            "Name": "email_verified", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": false,
            "Mutable": true, "Required": false,
        ])
        #expect(Self.attribute(pool, "birthdate")?["StringAttributeConstraints"] == ["MinLength": "10", "MaxLength": "10"])
        #expect(Self.attribute(pool, "updated_at") == [
            "Name": "updated_at", "AttributeDataType": "Number", "DeveloperOnlyAttribute": false, "Mutable": true,
            "Required": false, "NumberAttributeConstraints": ["MinValue": "0"],
        ])
        #expect(Self.attribute(pool, "identities")?["StringAttributeConstraints"] == [:])

        // What was stored is what Describe shows; the user count is computed, not stored.
        var described = Self.describe(h, id)
        #expect(described == pool)
        let onDisk = try #require(try Self.stored(h, id))
        #expect(onDisk["EstimatedNumberOfUsers"] == nil)
        if case .object(var members) = described {
            members["EstimatedNumberOfUsers"] = nil
            described = .object(members)
        }
        #expect(onDisk == described)
    }

    @Test func keepsEverySettingItAccepts() throws {
        let h = try Harness()
        let settings: [String: JSON] = [
            "Policies": [
                "PasswordPolicy": [
                    "MinimumLength": 12, "RequireUppercase": true, "RequireLowercase": false, "RequireNumbers": true,
                    "RequireSymbols": false, "PasswordHistorySize": 3, "TemporaryPasswordValidityDays": 3,
                ],
                "SignInPolicy": ["AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]],
            ],
            "DeletionProtection": "ACTIVE",
            "LambdaConfig": ["PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre"],
            "AutoVerifiedAttributes": ["email", "phone_number"],
            "UsernameAttributes": ["email"],
            "VerificationMessageTemplate": [
                "DefaultEmailOption": "CONFIRM_WITH_LINK", "EmailMessageByLink": "Click {##here##}",
                "EmailSubjectByLink": "Verify",
            ],
            "SmsAuthenticationMessage": "Your code is {####}",
            "MfaConfiguration": "OPTIONAL",
            "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": ["email"]],
            "DeviceConfiguration": ["ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false],
            "EmailConfiguration": ["EmailSendingAccount": "DEVELOPER", "From": "Team <team@example.com>"],
            "SmsConfiguration": ["SnsCallerArn": "arn:aws:iam::123456789012:role/sns", "ExternalId": "x"],
            "UserPoolTags": ["team": "auth", "env": "test"],
            "AdminCreateUserConfig": [
                "AllowAdminCreateUserOnly": true, "UnusedAccountValidityDays": 7,
                "InviteMessageTemplate": ["EmailMessage": "Hi {username}, {####}", "EmailSubject": "Welcome"],
            ],
            "UserPoolAddOns": ["AdvancedSecurityMode": "AUDIT"],
            "UsernameConfiguration": ["CaseSensitive": true],
            "AccountRecoverySetting": ["RecoveryMechanisms": [["Priority": 1, "Name": "verified_email"]]],
            "UserPoolTier": "PLUS",
        ]
        // UnusedAccountValidityDays is the legacy form of TemporaryPasswordValidityDays: not both in one request.
        var request = settings
        request["AdminCreateUserConfig"] = [
            "AllowAdminCreateUserOnly": true,
            "InviteMessageTemplate": ["EmailMessage": "Hi {username}, {####}", "EmailSubject": "Welcome"],
        ]
        let id = Self.create(h, "full", request)
        let pool = Self.describe(h, id)
        for (name, value) in settings where name != "VerificationMessageTemplate" {
            #expect(pool[name] == value, "\(name)")
        }
        #expect(pool["VerificationMessageTemplate"] == settings["VerificationMessageTemplate"])
    }

    /// The model: once TemporaryPasswordValidityDays is set, UnusedAccountValidityDays can no longer be (AWS's
    /// wording as aws/aws-sdk-js#3817 reports it). Either alone is accepted.
    @Test func theLegacyUnusedAccountValidityDaysBesideItsSuccessor() throws {
        let h = try Harness()
        let both: [String: JSON] = [
            "PoolName": "both", "Policies": ["PasswordPolicy": ["TemporaryPasswordValidityDays": 5]],
            "AdminCreateUserConfig": ["UnusedAccountValidityDays": 3],
        ]
        let before = h.snapshot()
        let message = h.fails("CreateUserPool", .object(both), "InvalidParameterException")
        #expect(message == "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays")
        #expect(h.snapshot() == before)
        _ = Self.create(h, "legacy", ["AdminCreateUserConfig": ["UnusedAccountValidityDays": 3]])
        _ = Self.create(h, "current", ["Policies": ["PasswordPolicy": ["TemporaryPasswordValidityDays": 5]]])
    }

    @Test func partialPasswordPolicyFillsTheRest() throws {
        let h = try Harness()
        let policy: JSON = ["MinimumLength": 10, "TemporaryPasswordValidityDays": 0]
        let id = Self.create(h, "p", ["Policies": ["PasswordPolicy": policy]])
        #expect(Self.describe(h, id)["Policies"]?["PasswordPolicy"] == [
            "MinimumLength": 10, "RequireUppercase": false, "RequireLowercase": false, "RequireNumbers": false,
            "RequireSymbols": false, "TemporaryPasswordValidityDays": 7,
        ])
    }

    @Test func legacyMessagesAndTemplateStayInStep() throws {
        let h = try Harness()
        let legacy = Self.describe(h, Self.create(h, "legacy", [
            "EmailVerificationMessage": "Code: {####}", "EmailVerificationSubject": "Your code",
            "SmsVerificationMessage": "SMS code {####}",
        ]))
        #expect(legacy["VerificationMessageTemplate"] == [
            "DefaultEmailOption": "CONFIRM_WITH_CODE", "EmailMessage": "Code: {####}", "EmailSubject": "Your code",
            "SmsMessage": "SMS code {####}",
        ])
        #expect(legacy["EmailVerificationMessage"] == "Code: {####}")

        let template = Self.describe(h, Self.create(h, "template", [
            "EmailVerificationMessage": "Old {####}",
            "VerificationMessageTemplate": ["EmailMessage": "New {####}", "SmsMessage": "Text {####}"],
        ]))
        // The template (the current form) wins, and the legacy members mirror it.
        #expect(template["EmailVerificationMessage"] == "New {####}")
        #expect(template["SmsVerificationMessage"] == "Text {####}")
        #expect(template["VerificationMessageTemplate"]?["EmailMessage"] == "New {####}")
    }

    @Test func schemaEntriesConfigureStandardAndAddCustomAttributes() throws {
        let h = try Harness()
        let id = Self.create(h, "schema", [
            "Schema": [
                ["Name": "email", "AttributeDataType": "String", "Required": true, "Mutable": true],
                ["Name": "given_name", "StringAttributeConstraints": ["MaxLength": "255"]],
                ["Name": "tenant", "AttributeDataType": "String", "Mutable": false,
                 "StringAttributeConstraints": ["MinLength": "1", "MaxLength": "64"]],
                ["Name": "level", "AttributeDataType": "Number",
                 "NumberAttributeConstraints": ["MinValue": "1", "MaxValue": "10"]],
                ["Name": "note", "AttributeDataType": "String"],
                ["Name": "secret", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": true],
                // AWS treats a Schema entry named email_verified as a custom attribute.
                ["Name": "email_verified", "AttributeDataType": "Boolean"],
            ],
        ])
        let pool = Self.describe(h, id)
        let names = pool["SchemaAttributes"]?.arrayValue?.compactMap { $0["Name"]?.stringValue }
        #expect(names == Self.standardNames + [
            "custom:tenant", "custom:level", "custom:note", "dev:custom:secret", "custom:email_verified",
        ])
        #expect(Self.attribute(pool, "email")?["Required"] == true)
        #expect(Self.attribute(pool, "given_name")?["StringAttributeConstraints"] == ["MinLength": "0", "MaxLength": "255"])
        #expect(Self.attribute(pool, "custom:tenant") == [
            "Name": "custom:tenant", "AttributeDataType": "String", "DeveloperOnlyAttribute": false, "Mutable": false,
            "Required": false, "StringAttributeConstraints": ["MinLength": "1", "MaxLength": "64"],
        ])
        #expect(Self.attribute(pool, "custom:level")?["NumberAttributeConstraints"] == ["MinValue": "1", "MaxValue": "10"])
        #expect(Self.attribute(pool, "custom:note")?["StringAttributeConstraints"] == [:])
        #expect(Self.attribute(pool, "custom:note")?["Mutable"] == true)
        #expect(Self.attribute(pool, "dev:custom:secret") == [
            "Name": "dev:custom:secret", "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": true,
            "Mutable": true, "Required": false,
        ])
    }

    @Test func queryFormCreatesAPool() throws {
        let h = try Harness()
        let (status, body) = h.query("CreateUserPool", [("PoolName", "from query"), ("MfaConfiguration", "OFF")])
        #expect(status == 200)
        let id = try #require(body["UserPool"]?["Id"]?.stringValue)
        #expect(Self.describe(h, id)["Name"] == "from query")
    }

    // MARK: Pool ids

    /// Random bytes from a script: each call returns `count` copies of the next value.
    final class ScriptedRandom: RandomSource, @unchecked Sendable {
        private let lock = NSLock()
        private var fills: [UInt8]
        init(_ fills: [UInt8]) { self.fills = fills }
        func bytes(_ count: Int) -> [UInt8] {
            lock.withLock { [UInt8](repeating: fills.isEmpty ? 0 : fills.removeFirst(), count: count) }
        }
    }

    func services(_ h: Harness, _ random: ScriptedRandom) -> Services {
        Services(config: h.services.config, store: h.store, clock: h.clock, random: random, logger: h.services.logger)
    }

    @Test func retriesWhenTheIdIsTaken() throws {
        let h = try Harness()
        let op = CreateUserPool(services(h, ScriptedRandom([0, 0, 1])))
        let first = try op.run(CreateUserPoolInput(poolName: "first"))
        #expect(first.userPool?.id == "us-east-1_000000000")
        let second = try op.run(CreateUserPoolInput(poolName: "second"))
        #expect(second.userPool?.id == "us-east-1_111111111")
        #expect(Self.describe(h, "us-east-1_000000000")["Name"] == "first")
        #expect(Self.describe(h, "us-east-1_111111111")["Name"] == "second")
    }

    @Test func givesUpWhenEveryIdIsTaken() throws {
        let h = try Harness()
        let op = CreateUserPool(services(h, ScriptedRandom([])))
        _ = try op.run(CreateUserPoolInput(poolName: "first"))
        let before = h.snapshot()
        #expect(throws: AWSError.internalError) { try op.run(CreateUserPoolInput(poolName: "second")) }
        #expect(h.snapshot() == before)
    }

    @Test func regionComesFromConfig() throws {
        let h = try Harness { $0.region = "eu-west-2" }
        let pool = h.ok("CreateUserPool", ["PoolName": "eu"])["UserPool"]
        let id = try #require(pool?["Id"]?.stringValue)
        #expect(id.hasPrefix("eu-west-2_"))
        #expect(pool?["Arn"] == .string("arn:aws:cognito-idp:eu-west-2:000000000000:userpool/\(id)"))
    }

    // MARK: Errors

    /// Expects `input` to fail with `type` (and `message`, when given) and to leave the store as it was.
    func refused(_ input: JSON, _ type: String = "InvalidParameterException", _ message: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let h = try Harness()
        let before = h.snapshot()
        let got = h.fails("CreateUserPool", input, type, sourceLocation: sourceLocation)
        if let message { #expect(got == message, sourceLocation: sourceLocation) }
        #expect(h.snapshot() == before, "the store changed", sourceLocation: sourceLocation)
        #expect(try h.store.poolIds().isEmpty, sourceLocation: sourceLocation)
    }

    // MARK: botocore 1.44's pool members

    static let noDcr = "Dynamic client registration is not supported by this service (it has no user pool domains): "
        + "set DcrConfiguration's EnableStatus to Disabled or omit DcrConfiguration."
    static let noKms = "Customer managed keys are not supported by this service (it has no AWS KMS): "
        + "KeyConfiguration may only name KeyType AWS_OWNED_KEY, without KmsKeyArn."
    static let noAcr = "AcrConfiguration is not supported by this service: its tokens carry no acr claim."

    /// What would turn on a feature this service lacks is refused; the "off" values are kept and described.
    @Test func newFeaturesAreRefusedWhereTheyWouldNeedWhatIsNotHere() throws {
        try refused(["PoolName": "p", "DcrConfiguration": [:]], "InvalidParameterException", Self.noDcr)
        try refused(["PoolName": "p", "DcrConfiguration": ["EnableStatus": "Enabled"]], "InvalidParameterException",
                    Self.noDcr)
        try refused(["PoolName": "p", "KeyConfiguration": ["KeyType": "CUSTOMER_MANAGED_KEY"]],
                    "InvalidParameterException", Self.noKms)
        try refused(["PoolName": "p", "KeyConfiguration": [
            "KeyType": "AWS_OWNED_KEY", "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abcd",
        ]], "InvalidParameterException", Self.noKms)
        try refused(["PoolName": "p", "AcrConfiguration": ["Level2": ["AcrValue": "urn:example:mfa"]]],
                    "InvalidParameterException", Self.noAcr)

        let h = try Harness()
        let dcr: JSON = ["EnableStatus": "Disabled", "OpenDcrEnabled": false]
        let id = Self.create(h, "p", [
            "DcrConfiguration": dcr, "KeyConfiguration": ["KeyType": "AWS_OWNED_KEY"],
            "IssuerConfiguration": ["Type": "UPDATED"], "AcrConfiguration": [:],
        ])
        let pool = Self.describe(h, id)
        #expect(pool["DcrConfiguration"] == dcr && pool["KeyConfiguration"] == ["KeyType": "AWS_OWNED_KEY"])
        #expect(pool["IssuerConfiguration"] == ["Type": "UPDATED"] && pool["AcrConfiguration"] == nil)
        let plain = Self.describe(h, Self.create(h, "q"))
        #expect(plain["DcrConfiguration"] == nil && plain["KeyConfiguration"] == nil)
        #expect(plain["IssuerConfiguration"] == nil)
    }

    /// "Provide either the Amazon SNS configuration (SnsCallerArn) or this configuration, but not both."
    @Test func smsThroughSnsOrEndUserMessagingNotBoth() throws {
        let role = "arn:aws:iam::123456789012:role/sms"
        let both: JSON = ["SnsCallerArn": .string(role), "EumsSms": ["CallerArn": .string(role)]]
        try refused(["PoolName": "p", "SmsConfiguration": both],
                    "InvalidParameterException", "SmsConfiguration takes SnsCallerArn or EumsSms, not both.")
        try refused(["PoolName": "p", "SmsConfiguration": ["SnsCallerArn": "", "ExternalId": "x"]],
                    "InvalidParameterException", "SmsConfiguration needs SnsCallerArn or EumsSms.")
        let h = try Harness()
        let eums: JSON = ["EumsSms": ["CallerArn": .string(role), "OriginationIdentity": "+15555550100"]]
        #expect(Self.describe(h, Self.create(h, "p", ["SmsConfiguration": eums]))["SmsConfiguration"] == eums)
        let sns: JSON = ["SnsCallerArn": .string(role), "ExternalId": "x"]
        #expect(Self.describe(h, Self.create(h, "q", ["SmsConfiguration": sns]))["SmsConfiguration"] == sns)
    }

    /// "The CreateUserPool operation supports only SMS MFA configuration ... If you omit SmsConfiguration, the
    /// operation returns an InvalidParameterException" (the model); AWS's answer names phone_number's automatic
    /// verification too (aws/aws-cdk#11478, aws/aws-cli#3876, cloudformation-coverage-roadmap#2221).
    @Test func mfaAtCreationNeedsSms() throws {
        let message =
            "SMS configuration and Auto verification for phone_number are required when MFA is required/optional"
        let sms: JSON = ["SnsCallerArn": "arn:aws:iam::123456789012:role/sns"]
        try refused(["PoolName": "p", "MfaConfiguration": "OPTIONAL"], "InvalidParameterException", message)
        try refused(["PoolName": "p", "MfaConfiguration": "OPTIONAL", "SmsConfiguration": sms,
                     "AutoVerifiedAttributes": ["email"]], "InvalidParameterException", message)
        try refused(["PoolName": "p", "MfaConfiguration": "OPTIONAL", "AutoVerifiedAttributes": ["phone_number"]],
                    "InvalidParameterException", message)
        let h = try Harness()
        let optional = Self.create(h, "optional", [
            "MfaConfiguration": "OPTIONAL", "SmsConfiguration": sms, "AutoVerifiedAttributes": ["phone_number"],
        ])
        #expect(Self.describe(h, optional)["MfaConfiguration"] == "OPTIONAL")
        #expect(Self.describe(h, Self.create(h, "off", ["MfaConfiguration": "OFF"]))["MfaConfiguration"] == "OFF")
    }

    static let noMfaOn = "MfaConfiguration ON is not supported by this service: it has no MFA factors for users to set "
        + "up (SMS, TOTP or email codes). Use OFF or OPTIONAL."

    /// "ON – Requires MFA for all users", and no user here can set up a second factor: refused rather than stored
    /// while every sign-in goes on without one, whatever else the request gives.
    @Test func mfaOnIsRefused() throws {
        try refused(["PoolName": "p", "MfaConfiguration": "ON"], "InvalidParameterException", Self.noMfaOn)
        try refused(["PoolName": "p", "MfaConfiguration": "ON", "AutoVerifiedAttributes": ["phone_number"],
                     "SmsConfiguration": ["SnsCallerArn": "arn:aws:iam::123456789012:role/sns"]],
                    "InvalidParameterException", Self.noMfaOn)
    }

    /// Threat protection in full-function mode blocks risky sign-ins; nothing here assesses risk, so ENFORCED is
    /// refused (for either flow) rather than stored and not done. AUDIT, which only reports, is kept
    /// (`keepsEverySettingItAccepts`).
    @Test func enforcedThreatProtectionIsRefused() throws {
        let message = "Threat protection ENFORCED is not supported by this service: it assesses no sign-in risk. "
            + "Use OFF or AUDIT."
        try refused(["PoolName": "p", "UserPoolAddOns": ["AdvancedSecurityMode": "ENFORCED"]],
                    "InvalidParameterException", message)
        try refused(["PoolName": "p", "UserPoolAddOns": [
            "AdvancedSecurityMode": "AUDIT", "AdvancedSecurityAdditionalFlows": ["CustomAuthMode": "ENFORCED"],
        ]], "InvalidParameterException", message)
    }

    /// "SOFTWARE_TOKEN is not currently supported as a first auth factor. Do not include this value" (the model).
    @Test func softwareTokenIsNoFirstFactor() throws {
        let policies: JSON = ["SignInPolicy": ["AllowedFirstAuthFactors": ["PASSWORD", "SOFTWARE_TOKEN"]]]
        try refused(["PoolName": "p", "Policies": policies],
                    "InvalidParameterException", "SOFTWARE_TOKEN is not supported as a first authentication factor.")
    }

    @Test func requiredCustomAttribute() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "tenant", "AttributeDataType": "String", "Required": true]]],
                    "InvalidParameterException", "Required custom attributes are not supported currently.")
    }

    @Test func usernameAndAliasAttributesTogether() throws {
        try refused(["PoolName": "p", "UsernameAttributes": ["email"], "AliasAttributes": ["preferred_username"]],
                    "InvalidParameterException", "Only one of aliasAttributes or usernameAttributes can be set in a user pool.")
    }

    @Test func autoVerifiedAttributesOnlyEmailOrPhone() throws {
        try refused(["PoolName": "p", "AutoVerifiedAttributes": ["name"]], "InvalidParameterException",
                    "1 validation error detected: Value '[name]' at 'autoVerifiedAttributes' failed to satisfy "
                        + "constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]")
    }

    @Test func verificationBeforeUpdateNeedsAutoVerification() throws {
        let settings: JSON = ["AttributesRequireVerificationBeforeUpdate": ["email"]]
        try refused(["PoolName": "p", "UserAttributeUpdateSettings": settings],
                    "InvalidParameterException",
                    "All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes")
    }

    @Test func customAttributeWithoutType() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "tenant"]]], "InvalidParameterException",
                    "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
    }

    @Test func standardAttributeTypeOrDeveloperOnlyCannotChange() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "email", "AttributeDataType": "Number"]]],
                    "InvalidParameterException",
                    "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email")
        try refused(["PoolName": "p", "Schema": [["Name": "name", "DeveloperOnlyAttribute": true]]],
                    "InvalidParameterException",
                    "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute name")
    }

    @Test func subStaysRequiredAndImmutable() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "sub", "Mutable": true]]], "InvalidParameterException")
        try refused(["PoolName": "p", "Schema": [["Name": "sub", "Required": false]]], "InvalidParameterException")
    }

    @Test func stringConstraints() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "t", "AttributeDataType": "String",
                                                  "StringAttributeConstraints": ["MaxLength": "4096"]]]],
                    "InvalidParameterException", "user.custom:t: String attributes cannot have a length of more than 2048")
        try refused(["PoolName": "p", "Schema": [["Name": "t", "AttributeDataType": "String",
                                                  "StringAttributeConstraints": ["MinLength": "9", "MaxLength": "3"]]]],
                    "InvalidParameterException", "user.custom:t: Max length cannot be less than min length.")
        try refused(["PoolName": "p", "Schema": [["Name": "t", "AttributeDataType": "String",
                                                  "StringAttributeConstraints": ["MaxLength": "ten"]]]],
                    "InvalidParameterException", "Invalid StringAttributeConstraints for schema attribute custom:t")
        try refused(["PoolName": "p", "Schema": [["Name": "name", "StringAttributeConstraints": ["MinLength": "3000"]]]],
                    "InvalidParameterException", "user.name: String attributes cannot have a length of more than 2048")
    }

    @Test func numberConstraints() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "n", "AttributeDataType": "Number",
                                                  "NumberAttributeConstraints": ["MinValue": "10", "MaxValue": "1"]]]],
                    "InvalidParameterException", "user.custom:n: Max value cannot be less than min value.")
        try refused(["PoolName": "p", "Schema": [["Name": "n", "AttributeDataType": "Number",
                                                  "NumberAttributeConstraints": ["MinValue": "low"]]]],
                    "InvalidParameterException", "Invalid NumberAttributeConstraints for schema attribute custom:n")
    }

    @Test func duplicateSchemaNames() throws {
        try refused(["PoolName": "p", "Schema": [["Name": "t", "AttributeDataType": "String"],
                                                 ["Name": "t", "AttributeDataType": "Number"]]],
                    "InvalidParameterException", "custom:t: Existing attribute already has name custom:t.")
        try refused(["PoolName": "p", "Schema": [["Name": "email", "Required": true], ["Name": "email"]]],
                    "InvalidParameterException", "email: Existing attribute already has name email.")
    }

    @Test func schemaEntryWithoutName() throws {
        try refused(["PoolName": "p", "Schema": [["AttributeDataType": "String"]]], "InvalidParameterException")
    }

    @Test func modelConstraints() throws {
        try refused([:], "InvalidParameterException",
                    "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: Member must not be null")
        try refused(["PoolName": "bad/name"], "InvalidParameterException")
        try refused(["PoolName": "p", "MfaConfiguration": "SOMETIMES"], "InvalidParameterException")
        try refused(["PoolName": "p", "Policies": ["PasswordPolicy": ["MinimumLength": 5]]], "InvalidParameterException")
        try refused(["PoolName": 7], "SerializationException")
    }
}
