/// The user-pool settings that CreateUserPool and UpdateUserPool both take, and how a `UserPoolType` is built
/// from them with AWS's defaults. Both operations replace every setting they accept ("If you don't provide a
/// value for an attribute, Amazon Cognito sets it to its default value"), so both go through `apply(to:)`.
///
/// Also the pool's attribute schema: AWS's standard attributes as DescribeUserPool shows them, and the rules for
/// the request's `Schema` entries and for AddCustomAttributes.
struct PoolSettings {
    var policies: UserPoolPolicyType?
    var deletionProtection: DeletionProtectionType?
    var lambdaConfig: LambdaConfigType?
    var autoVerifiedAttributes: [VerifiedAttributeType]?
    var smsVerificationMessage: String?
    var emailVerificationMessage: String?
    var emailVerificationSubject: String?
    var verificationMessageTemplate: VerificationMessageTemplateType?
    var smsAuthenticationMessage: String?
    var userAttributeUpdateSettings: UserAttributeUpdateSettingsType?
    var mfaConfiguration: UserPoolMfaType?
    var deviceConfiguration: DeviceConfigurationType?
    var emailConfiguration: EmailConfigurationType?
    var smsConfiguration: SmsConfigurationType?
    var userPoolTags: [String: String]?
    var adminCreateUserConfig: AdminCreateUserConfigType?
    var userPoolAddOns: UserPoolAddOnsType?
    var accountRecoverySetting: AccountRecoverySettingType?
    var userPoolTier: UserPoolTierType?
    var dcrConfiguration: DcrConfigurationType?
    var issuerConfiguration: IssuerConfigurationType?
    var keyConfiguration: KeyConfigurationType?
    /// Only checked, never stored: custom ACR names are refused (`checkFeatures`).
    var acrConfiguration: [String: AcrLevelConfigType]?

    // MARK: Constants

    /// The account every ARN names. A self-hosted deployment has no AWS account; `Config` carries none, so this
    /// is fixed (the value moto and cognito-local use for the same purpose).
    static let accountId = "000000000000"
    static let poolIdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    /// AWS's quota on custom attributes per pool (not adjustable).
    static let maxCustomAttributes = 50

    /// A fresh pool id, `<region>_<9 alphanumerics>` as AWS makes them.
    static func newPoolId(region: String, random: any RandomSource) -> String {
        region + "_" + random.string(9, alphabet: poolIdAlphabet)
    }

    static func arn(region: String, poolId: String) -> String {
        "arn:aws:cognito-idp:\(region):\(accountId):userpool/\(poolId)"
    }

    // MARK: From a request

    init(_ r: CreateUserPoolRequest) throws(AWSError) {
        policies = r.policies
        deletionProtection = r.deletionProtection
        lambdaConfig = r.lambdaConfig
        autoVerifiedAttributes = r.autoVerifiedAttributes
        smsVerificationMessage = r.smsVerificationMessage
        emailVerificationMessage = r.emailVerificationMessage
        emailVerificationSubject = r.emailVerificationSubject
        verificationMessageTemplate = r.verificationMessageTemplate
        smsAuthenticationMessage = r.smsAuthenticationMessage
        userAttributeUpdateSettings = r.userAttributeUpdateSettings
        mfaConfiguration = r.mfaConfiguration
        deviceConfiguration = r.deviceConfiguration
        emailConfiguration = r.emailConfiguration
        smsConfiguration = r.smsConfiguration
        userPoolTags = r.userPoolTags
        adminCreateUserConfig = r.adminCreateUserConfig
        userPoolAddOns = r.userPoolAddOns
        accountRecoverySetting = r.accountRecoverySetting
        userPoolTier = r.userPoolTier
        dcrConfiguration = r.dcrConfiguration
        issuerConfiguration = r.issuerConfiguration
        keyConfiguration = r.keyConfiguration
        acrConfiguration = r.acrConfiguration
        try validate()
    }

    init(_ r: UpdateUserPoolRequest) throws(AWSError) {
        policies = r.policies
        deletionProtection = r.deletionProtection
        lambdaConfig = r.lambdaConfig
        autoVerifiedAttributes = r.autoVerifiedAttributes
        smsVerificationMessage = r.smsVerificationMessage
        emailVerificationMessage = r.emailVerificationMessage
        emailVerificationSubject = r.emailVerificationSubject
        verificationMessageTemplate = r.verificationMessageTemplate
        smsAuthenticationMessage = r.smsAuthenticationMessage
        userAttributeUpdateSettings = r.userAttributeUpdateSettings
        mfaConfiguration = r.mfaConfiguration
        deviceConfiguration = r.deviceConfiguration
        emailConfiguration = r.emailConfiguration
        smsConfiguration = r.smsConfiguration
        userPoolTags = r.userPoolTags
        adminCreateUserConfig = r.adminCreateUserConfig
        userPoolAddOns = r.userPoolAddOns
        accountRecoverySetting = r.accountRecoverySetting
        userPoolTier = r.userPoolTier
        dcrConfiguration = r.dcrConfiguration
        issuerConfiguration = r.issuerConfiguration
        keyConfiguration = r.keyConfiguration
        acrConfiguration = r.acrConfiguration
        try validate()
    }

    /// What the model cannot express about these settings.
    func validate() throws(AWSError) {
        let autoVerified = Set(autoVerifiedAttributes ?? [])
        let needVerification = userAttributeUpdateSettings?.attributesRequireVerificationBeforeUpdate ?? []
        if !needVerification.allSatisfy(autoVerified.contains) {
            // AWS's wording, as reported (aws/aws-cli#7151), without a final period.
            throw .invalidParameter(
                "All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes")
        }
        // The model: once TemporaryPasswordValidityDays is set, UnusedAccountValidityDays can no longer be. AWS's
        // wording as reported (aws/aws-sdk-js#3817).
        if policies?.passwordPolicy?.temporaryPasswordValidityDays != nil
            && adminCreateUserConfig?.unusedAccountValidityDays != nil
        {
            throw .invalidParameter(
                "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays")
        }
        try Self.checkSms(smsConfiguration)
        try checkFeatures()
        // "SOFTWARE_TOKEN is not currently supported as a first auth factor. Do not include this value in
        // AllowedFirstAuthFactors" (the model). The wording is ours.
        if policies?.signInPolicy?.allowedFirstAuthFactors?.contains(.softwareToken) == true {
            throw .invalidParameter("SOFTWARE_TOKEN is not supported as a first authentication factor.")
        }
    }

    /// CreateUserPool "supports only SMS MFA configuration": MFA ON or OPTIONAL needs an SmsConfiguration in the same
    /// request (the model), and phone numbers verified automatically, in AWS's words (aws/aws-cdk#11478,
    /// aws/aws-cli#3876, aws-cloudformation/cloudformation-coverage-roadmap#2221).
    static func checkCreationMfa(
        _ mfa: UserPoolMfaType?, sms: SmsConfigurationType?, autoVerified: [VerifiedAttributeType]?
    ) throws(AWSError) {
        guard mfa == .on || mfa == .optional else { return }
        if sms == nil || !(autoVerified ?? []).contains(.phoneNumber) {
            throw .invalidParameter(
                "SMS configuration and Auto verification for phone_number are required when MFA is required/optional")
        }
    }

    /// "Provide either the Amazon SNS configuration (SnsCallerArn) or this configuration [EumsSms], but not both"
    /// (the model; SnsCallerArn may be given empty, which is none). The wording is ours.
    static func checkSms(_ sms: SmsConfigurationType?) throws(AWSError) {
        guard let sms else { return }
        switch (!(sms.snsCallerArn ?? "").isEmpty, sms.eumsSms != nil) {
        case (true, true): throw .invalidParameter("SmsConfiguration takes SnsCallerArn or EumsSms, not both.")
        case (false, false): throw .invalidParameter("SmsConfiguration needs SnsCallerArn or EumsSms.")
        default: return
        }
    }

    /// Settings that would turn on what this service does not have are refused rather than stored as if they
    /// worked; their "off" values are accepted. The wording is ours (AWS has no such case).
    /// - DcrConfiguration: dynamic client registration happens at the registration endpoint of a user pool domain,
    ///   and there are no domains here. Only `EnableStatus: Disabled` (an omitted EnableStatus turns it on).
    /// - KeyConfiguration: there is no AWS KMS here, so no customer managed key; `AWS_OWNED_KEY` without a key ARN is
    ///   AWS's default and accepted.
    /// - AcrConfiguration: custom names for the `acr` claim, which this service's tokens do not carry.
    /// - MfaConfiguration ON ("Requires MFA for all users"): users here can set up no second factor, so every sign-in
    ///   would go on without one. OPTIONAL asks MFA only of users who set one up, i.e. nobody here.
    /// - Threat protection ENFORCED blocks risky sign-ins and compromised passwords; nothing here assesses risk.
    ///   AUDIT only reports, and is kept.
    /// IssuerConfiguration is accepted either way: both types name where AWS hosts the issuer, and here the issuer
    /// is always the deployment's (`--issuer` and the pool id).
    func checkFeatures() throws(AWSError) {
        if let dcr = dcrConfiguration, dcr.enableStatus != .disabled {
            throw .invalidParameter(
                "Dynamic client registration is not supported by this service (it has no user pool domains): "
                    + "set DcrConfiguration's EnableStatus to Disabled or omit DcrConfiguration.")
        }
        if let key = keyConfiguration, key.keyType == .customerManagedKey || key.kmsKeyArn != nil {
            throw .invalidParameter(
                "Customer managed keys are not supported by this service (it has no AWS KMS): "
                    + "KeyConfiguration may only name KeyType AWS_OWNED_KEY, without KmsKeyArn.")
        }
        if !(acrConfiguration ?? [:]).isEmpty {
            throw .invalidParameter(
                "AcrConfiguration is not supported by this service: its tokens carry no acr claim.")
        }
        if mfaConfiguration == .on {
            throw .invalidParameter(
                "MfaConfiguration ON is not supported by this service: it has no MFA factors for users to set up "
                    + "(SMS, TOTP or email codes). Use OFF or OPTIONAL.")
        }
        if userPoolAddOns?.advancedSecurityMode == .enforced
            || userPoolAddOns?.advancedSecurityAdditionalFlows?.customAuthMode == .enforced
        {
            throw .invalidParameter(
                "Threat protection ENFORCED is not supported by this service: it assesses no sign-in risk. "
                    + "Use OFF or AUDIT.")
        }
    }

    /// UsernameAttributes and AliasAttributes exclude each other (CreateUserPool only: Update cannot set either).
    static func checkSignInAttributes(username: [UsernameAttributeType]?, alias: [AliasAttributeType]?)
        throws(AWSError)
    {
        if !(username ?? []).isEmpty && !(alias ?? []).isEmpty {
            throw .invalidParameter("Only one of aliasAttributes or usernameAttributes can be set in a user pool.")
        }
    }

    // MARK: Into a pool

    /// Writes every setting into `pool`, AWS's default wherever the request gave none. Leaves alone what these
    /// settings do not cover (id, name, dates, schema, sign-in attributes, username configuration, domain).
    func apply(to pool: inout UserPoolType) {
        pool.policies = UserPoolPolicyType(
            passwordPolicy: Self.passwordPolicy(policies?.passwordPolicy),
            signInPolicy: policies?.signInPolicy ?? SignInPolicyType(allowedFirstAuthFactors: [.password]))
        pool.deletionProtection = deletionProtection ?? .inactive
        pool.lambdaConfig = lambdaConfig ?? LambdaConfigType()
        pool.autoVerifiedAttributes = autoVerifiedAttributes

        // AWS keeps the legacy top-level messages and VerificationMessageTemplate in step: either form sets both.
        // Where both are given, the template (the current form) wins.
        var template = verificationMessageTemplate ?? VerificationMessageTemplateType()
        template.defaultEmailOption = template.defaultEmailOption ?? .confirmWithCode
        template.emailMessage = template.emailMessage ?? emailVerificationMessage
        template.emailSubject = template.emailSubject ?? emailVerificationSubject
        template.smsMessage = template.smsMessage ?? smsVerificationMessage
        pool.verificationMessageTemplate = template
        pool.emailVerificationMessage = template.emailMessage
        pool.emailVerificationSubject = template.emailSubject
        pool.smsVerificationMessage = template.smsMessage

        pool.smsAuthenticationMessage = smsAuthenticationMessage
        var updateSettings = userAttributeUpdateSettings ?? UserAttributeUpdateSettingsType()
        updateSettings.attributesRequireVerificationBeforeUpdate =
            updateSettings.attributesRequireVerificationBeforeUpdate ?? []
        pool.userAttributeUpdateSettings = updateSettings
        pool.mfaConfiguration = mfaConfiguration ?? .off
        pool.deviceConfiguration = deviceConfiguration
        var email = emailConfiguration ?? EmailConfigurationType()
        email.emailSendingAccount = email.emailSendingAccount ?? .cognitoDefault
        pool.emailConfiguration = email
        pool.smsConfiguration = smsConfiguration
        pool.userPoolTags = userPoolTags
        var adminCreate = adminCreateUserConfig ?? AdminCreateUserConfigType()
        adminCreate.allowAdminCreateUserOnly = adminCreate.allowAdminCreateUserOnly ?? false
        adminCreate.unusedAccountValidityDays = adminCreate.unusedAccountValidityDays ?? 7
        pool.adminCreateUserConfig = adminCreate
        pool.userPoolAddOns = userPoolAddOns
        pool.accountRecoverySetting = accountRecoverySetting
        pool.userPoolTier = userPoolTier ?? .essentials
        pool.dcrConfiguration = dcrConfiguration
        pool.issuerConfiguration = issuerConfiguration
        pool.keyConfiguration = keyConfiguration
    }

    /// The password policy as stored, with AWS's defaults; `PasswordPolicy` (which checks passwords against it)
    /// owns the defaults, so what is stored and what is enforced cannot drift apart.
    static func passwordPolicy(_ given: PasswordPolicyType?) -> PasswordPolicyType {
        PasswordPolicy(given).shape
    }
}

// MARK: - The attribute schema

extension PoolSettings {
    /// AWS's standard attributes, in the order and form DescribeUserPool returns them (constraints as strings).
    static let standardAttributes: [SchemaAttributeType] = {
        func string(_ name: String, _ min: String = "0", _ max: String = "2048", mutable: Bool = true,
                    required: Bool = false) -> SchemaAttributeType {
            SchemaAttributeType(
                name: name, attributeDataType: .string, developerOnlyAttribute: false, mutable: mutable,
                required: required,
                stringAttributeConstraints: StringAttributeConstraintsType(minLength: min, maxLength: max))
        }
        func boolean(_ name: String) -> SchemaAttributeType {
            SchemaAttributeType(
                name: name, attributeDataType: .boolean, developerOnlyAttribute: false, mutable: true, required: false)
        }
        return [
            string("sub", "1", mutable: false, required: true),
            string("name"), string("given_name"), string("family_name"), string("middle_name"), string("nickname"),
            string("preferred_username"), string("profile"), string("picture"), string("website"),
            string("email"), boolean("email_verified"),
            string("gender"), string("birthdate", "10", "10"), string("zoneinfo"), string("locale"),
            string("phone_number"), boolean("phone_number_verified"),
            string("address"),
            SchemaAttributeType(
                name: "updated_at", attributeDataType: .number, developerOnlyAttribute: false, mutable: true,
                required: false, numberAttributeConstraints: NumberAttributeConstraintsType(minValue: "0")),
            SchemaAttributeType(
                name: "identities", attributeDataType: .string, developerOnlyAttribute: false, mutable: true,
                required: false, stringAttributeConstraints: StringAttributeConstraintsType()),
        ]
    }()

    /// Standard attributes a `Schema` entry can configure. `email_verified` and `phone_number_verified` are not
    /// among them: AWS's Cognito team says a Schema entry with those names makes a custom attribute
    /// (aws/aws-cdk#14175), so they fall through to the custom path like any other name.
    static let configurableStandardNames: Set<String> = Set(
        standardAttributes.compactMap(\.name)).subtracting(["email_verified", "phone_number_verified"])

    /// The schema of a new pool: the standard attributes with the request's entries applied to them, then a
    /// custom attribute for every other entry, in request order.
    static func schemaAttributes(_ entries: [SchemaAttributeType]?) throws(AWSError) -> [SchemaAttributeType] {
        var standard = standardAttributes
        var custom: [SchemaAttributeType] = []
        var seen: Set<String> = []
        for entry in entries ?? [] {
            guard let name = entry.name else {
                throw .invalidParameter("Schema attribute name is required.")
            }
            if configurableStandardNames.contains(name) {
                guard seen.insert(name).inserted else {
                    throw .invalidParameter("\(name): Existing attribute already has name \(name).")
                }
                if let index = standard.firstIndex(where: { $0.name == name }) {
                    standard[index] = try configured(standard[index], with: entry)
                }
            } else {
                let attribute = try customAttribute(entry)
                guard let fullName = attribute.name, seen.insert(fullName).inserted else {
                    throw duplicate(entry, attribute)
                }
                custom.append(attribute)
            }
        }
        return standard + custom
    }

    /// `existing` with AddCustomAttributes' `entries` appended as custom attributes.
    static func addingCustomAttributes(_ entries: [SchemaAttributeType], to existing: [SchemaAttributeType])
        throws(AWSError) -> [SchemaAttributeType]
    {
        var names = Set(existing.compactMap(\.name))
        var out = existing
        for entry in entries {
            guard entry.name != nil else { throw .invalidParameter("Schema attribute name is required.") }
            let attribute = try customAttribute(entry)
            guard let fullName = attribute.name, names.insert(fullName).inserted else {
                throw duplicate(entry, attribute)
            }
            out.append(attribute)
        }
        if out.count(where: isCustom) > maxCustomAttributes {
            throw .invalidParameter("A user pool can have at most \(maxCustomAttributes) custom attributes.")
        }
        return out
    }

    static func isCustom(_ attribute: SchemaAttributeType) -> Bool {
        guard let name = attribute.name else { return false }
        return name.hasPrefix("custom:") || name.hasPrefix("dev:")
    }

    /// AWS's wording for a name taken twice, as reported from AddCustomAttributes
    /// (`custom:x: Existing attribute already has name custom:x.`).
    private static func duplicate(_ entry: SchemaAttributeType, _ attribute: SchemaAttributeType) -> AWSError {
        .invalidParameter("custom:\(entry.name ?? ""): Existing attribute already has name \(attribute.name ?? "").")
    }

    /// A standard attribute as a `Schema` entry reconfigures it: Required, Mutable and constraints may change,
    /// the data type and developer-only flag may not (AWS's wording, as moto records it).
    static func configured(_ standard: SchemaAttributeType, with entry: SchemaAttributeType) throws(AWSError)
        -> SchemaAttributeType
    {
        let name = standard.name ?? ""
        let typeChanged = entry.attributeDataType.map { $0 != standard.attributeDataType } ?? false
        if typeChanged || entry.developerOnlyAttribute == true {
            throw .invalidParameter(
                "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute "
                    + name)
        }
        // `sub` is every user's immutable identifier; other code relies on it being required and fixed.
        if name == "sub", entry.required == false || entry.mutable == true {
            throw .invalidParameter("You can not change Required or Mutable for standard schema attribute sub")
        }
        var out = standard
        out.mutable = entry.mutable ?? standard.mutable
        out.required = entry.required ?? standard.required
        if let given = entry.stringAttributeConstraints, var constraints = standard.stringAttributeConstraints {
            constraints.minLength = given.minLength ?? constraints.minLength
            constraints.maxLength = given.maxLength ?? constraints.maxLength
            try checkString(constraints, name: name)
            out.stringAttributeConstraints = constraints
        }
        if let given = entry.numberAttributeConstraints, var constraints = standard.numberAttributeConstraints {
            constraints.minValue = given.minValue ?? constraints.minValue
            constraints.maxValue = given.maxValue ?? constraints.maxValue
            try checkNumber(constraints, name: name)
            out.numberAttributeConstraints = constraints
        }
        return out
    }

    /// A custom attribute from a `Schema` or `CustomAttributes` entry: named `custom:<Name>` (`dev:custom:<Name>`
    /// when developer-only), mutable unless told otherwise, never required, String and Number constraints
    /// stored as given (`{}` when none, as AWS shows them).
    static func customAttribute(_ entry: SchemaAttributeType) throws(AWSError) -> SchemaAttributeType {
        let developerOnly = entry.developerOnlyAttribute ?? false
        let name = (developerOnly ? "dev:custom:" : "custom:") + (entry.name ?? "")
        guard let type = entry.attributeDataType else {
            throw .invalidParameter(
                "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
        }
        if entry.required == true {
            throw .invalidParameter("Required custom attributes are not supported currently.")
        }
        var out = SchemaAttributeType(
            name: name, attributeDataType: type, developerOnlyAttribute: developerOnly, mutable: entry.mutable ?? true,
            required: false)
        switch type {
        case .string:
            let constraints = entry.stringAttributeConstraints ?? StringAttributeConstraintsType()
            try checkString(constraints, name: name)
            out.stringAttributeConstraints = constraints
        case .number:
            let constraints = entry.numberAttributeConstraints ?? NumberAttributeConstraintsType()
            try checkNumber(constraints, name: name)
            out.numberAttributeConstraints = constraints
        case .boolean, .dateTime:
            break
        }
        return out
    }

    /// String lengths are whole numbers from 0 to 2048, the minimum not above the maximum.
    static func checkString(_ c: StringAttributeConstraintsType, name: String) throws(AWSError) {
        func length(_ text: String?) throws(AWSError) -> Int? {
            guard let text else { return nil }
            guard let n = Int(text), n >= 0 else {
                throw .invalidParameter("Invalid StringAttributeConstraints for schema attribute \(name)")
            }
            return n
        }
        let min = try length(c.minLength)
        let max = try length(c.maxLength)
        if (min ?? 0) > 2048 || (max ?? 0) > 2048 {
            throw .invalidParameter("user.\(name): String attributes cannot have a length of more than 2048")
        }
        if let min, let max, min > max {
            throw .invalidParameter("user.\(name): Max length cannot be less than min length.")
        }
    }

    /// Number bounds are numbers (AWS allows up to 2^1023, so they are compared as doubles), the minimum not
    /// above the maximum.
    static func checkNumber(_ c: NumberAttributeConstraintsType, name: String) throws(AWSError) {
        func value(_ text: String?) throws(AWSError) -> Double? {
            guard let text else { return nil }
            guard let d = Double(text), d.isFinite, !text.contains(where: { $0.isLetter }) else {
                throw .invalidParameter("Invalid NumberAttributeConstraints for schema attribute \(name)")
            }
            return d
        }
        let min = try value(c.minValue)
        let max = try value(c.maxValue)
        if let min, let max, min > max {
            throw .invalidParameter("user.\(name): Max value cannot be less than min value.")
        }
    }
}
