/// The app-client settings that CreateUserPoolClient and UpdateUserPoolClient both take, the checks AWS makes on
/// them that the model cannot express, and how a `UserPoolClientType` is built from them. Both operations
/// replace every setting ("If you don't provide a value for an attribute, Amazon Cognito sets it to its default
/// value"), so both build the client through `client(_:pool:verb:)`, which starts from the identity fields alone.
///
/// ## How omitted settings are stored and returned
/// Omitted settings are stored and answered as their documented default values: ExplicitAuthFlows
/// ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH and ALLOW_CUSTOM_AUTH; access and ID tokens 60 minutes;
/// refresh tokens 30 days; explicit TokenValidityUnits; PreventUserExistenceErrors LEGACY; EnableTokenRevocation
/// true; AuthSessionValidity 3. (Real AWS leaves several of these out of its answer and applies them silently;
/// we show them, as the project's issue asks, so Describe says what the client will do.) Read/WriteAttributes
/// stay absent when omitted: every attribute is then readable and the writable ones writable. Passing
/// DescribeUserPoolClient's output back into UpdateUserPoolClient keeps a configuration, as AWS advises.
/// Consumers ask the `UserPoolClientType` extension at the end of this file for effective values.
struct ClientSettings {
    var refreshTokenValidity: Int?
    var accessTokenValidity: Int?
    var idTokenValidity: Int?
    var tokenValidityUnits: TokenValidityUnitsType?
    var readAttributes: [String]?
    var writeAttributes: [String]?
    var explicitAuthFlows: [ExplicitAuthFlowsType]?
    var supportedIdentityProviders: [String]?
    var callbackURLs: [String]?
    var logoutURLs: [String]?
    var defaultRedirectURI: String?
    var allowedOAuthFlows: [OAuthFlowType]?
    var allowedOAuthScopes: [String]?
    var allowedOAuthFlowsUserPoolClient: Bool?
    var analyticsConfiguration: AnalyticsConfigurationType?
    var preventUserExistenceErrors: PreventUserExistenceErrorTypes?
    var enableTokenRevocation: Bool?
    var enablePropagateAdditionalUserContextData: Bool?
    var authSessionValidity: Int?
    var refreshTokenRotation: RefreshTokenRotationType?
    /// Not a setting this service stores: it keeps every client secret itself (there is no Secrets Manager here),
    /// so only the request's value is checked (`checkSecretsManager`).
    var publishSecretsInAWSSecretsManager: Bool?

    /// Which operation is asking; AWS names it in some messages ("... while creating a client").
    enum Verb: String {
        case creating
        case updating
    }

    // MARK: Constants

    /// Client ids and secrets use base32hex digits (0-9, a-v), as AWS's do: an id is 26 of them (128 bits),
    /// a secret 52 (256 bits).
    static let idAlphabet = "0123456789abcdefghijklmnopqrstuv"
    static let idLength = 26
    static let secretLength = 52

    static func newClientId(_ random: any RandomSource) -> String {
        random.string(idLength, alphabet: idAlphabet)
    }

    static func newSecret(_ random: any RandomSource) -> String {
        random.string(secretLength, alphabet: idAlphabet)
    }

    static let defaultExplicitAuthFlows: [ExplicitAuthFlowsType] = [
        .allowRefreshTokenAuth, .allowUserSrpAuth, .allowCustomAuth,
    ]
    static let legacyAuthFlows: Set<ExplicitAuthFlowsType> = [.adminNoSrpAuth, .customAuthFlowOnly, .userPasswordAuth]
    /// "You can't set RefreshTokenValidity to 0. If you do, Amazon Cognito overrides the value with the default
    /// value of 30 days."
    static let defaultRefreshTokenValidity = 30
    static let defaultAuthSessionValidity = 3
    /// One hour: the lifetime of access and ID tokens whose validity was not set.
    static let defaultTokenSeconds = 3600
    /// Access and ID tokens: 5 minutes to 1 day. Refresh tokens: 60 minutes to 10 years (3650 days).
    static let accessTokenRange = 300...86_400
    static let refreshTokenRange = 3600...315_360_000
    /// The OAuth scopes every pool has; any other scope must belong to a resource server (we have none).
    static let standardScopes: Set<String> = ["phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"]
    /// Attributes no app client may write (AWS refuses them in WriteAttributes).
    static let unwritableAttributes: Set<String> = ["sub", "email_verified", "phone_number_verified"]

    // MARK: From a request

    init(_ r: CreateUserPoolClientRequest) {
        refreshTokenValidity = r.refreshTokenValidity
        accessTokenValidity = r.accessTokenValidity
        idTokenValidity = r.idTokenValidity
        tokenValidityUnits = r.tokenValidityUnits
        readAttributes = r.readAttributes
        writeAttributes = r.writeAttributes
        explicitAuthFlows = r.explicitAuthFlows
        supportedIdentityProviders = r.supportedIdentityProviders
        callbackURLs = r.callbackURLs
        logoutURLs = r.logoutURLs
        defaultRedirectURI = r.defaultRedirectURI
        allowedOAuthFlows = r.allowedOAuthFlows
        allowedOAuthScopes = r.allowedOAuthScopes
        allowedOAuthFlowsUserPoolClient = r.allowedOAuthFlowsUserPoolClient
        analyticsConfiguration = r.analyticsConfiguration
        preventUserExistenceErrors = r.preventUserExistenceErrors
        enableTokenRevocation = r.enableTokenRevocation
        enablePropagateAdditionalUserContextData = r.enablePropagateAdditionalUserContextData
        authSessionValidity = r.authSessionValidity
        refreshTokenRotation = r.refreshTokenRotation
        publishSecretsInAWSSecretsManager = r.publishSecretsInAWSSecretsManager
    }

    init(_ r: UpdateUserPoolClientRequest) {
        refreshTokenValidity = r.refreshTokenValidity
        accessTokenValidity = r.accessTokenValidity
        idTokenValidity = r.idTokenValidity
        tokenValidityUnits = r.tokenValidityUnits
        readAttributes = r.readAttributes
        writeAttributes = r.writeAttributes
        explicitAuthFlows = r.explicitAuthFlows
        supportedIdentityProviders = r.supportedIdentityProviders
        callbackURLs = r.callbackURLs
        logoutURLs = r.logoutURLs
        defaultRedirectURI = r.defaultRedirectURI
        allowedOAuthFlows = r.allowedOAuthFlows
        allowedOAuthScopes = r.allowedOAuthScopes
        allowedOAuthFlowsUserPoolClient = r.allowedOAuthFlowsUserPoolClient
        analyticsConfiguration = r.analyticsConfiguration
        preventUserExistenceErrors = r.preventUserExistenceErrors
        enableTokenRevocation = r.enableTokenRevocation
        enablePropagateAdditionalUserContextData = r.enablePropagateAdditionalUserContextData
        authSessionValidity = r.authSessionValidity
        refreshTokenRotation = r.refreshTokenRotation
        publishSecretsInAWSSecretsManager = r.publishSecretsInAWSSecretsManager
    }

    // MARK: Into a client

    /// The client these settings make, keeping only the identity fields of `identity` (pool id, name, id,
    /// secret, dates): every setting is taken from the request or set to its default, never carried over.
    /// Throws what AWS throws for settings the model accepts but the service refuses.
    func client(_ identity: UserPoolClientType, pool: UserPoolType, verb: Verb) throws(AWSError) -> UserPoolClientType {
        let flows = Self.nonEmpty(explicitAuthFlows)
        let read = Self.nonEmpty(readAttributes)
        let write = Self.nonEmpty(writeAttributes)
        let providers = Self.nonEmpty(supportedIdentityProviders)
        let callbacks = Self.nonEmpty(callbackURLs)
        let logouts = Self.nonEmpty(logoutURLs)
        let oauthFlows = Self.nonEmpty(allowedOAuthFlows)
        let scopes = Self.nonEmpty(allowedOAuthScopes)
        let refresh = Self.refreshValidity(refreshTokenValidity)
        var units = tokenValidityUnits ?? TokenValidityUnitsType()
        // "You can't set RefreshTokenValidity to 0. If you do, Amazon Cognito overrides the value with the default
        // value of 30 days": days, whatever unit the request gave.
        if refreshTokenValidity == 0 { units.refreshToken = .days }
        let hasSecret = identity.clientSecret != nil

        try Self.checkSecretsManager(publishSecretsInAWSSecretsManager, hasSecret: hasSecret)
        try Self.checkAuthFlows(flows, rotation: refreshTokenRotation)
        try Self.checkValidities(access: accessTokenValidity, id: idTokenValidity, refresh: refresh, units: units)
        try Self.checkAttributes(read: read, write: write, pool: pool, verb: verb)
        try Self.checkIdentityProviders(providers, poolId: identity.userPoolId ?? pool.id ?? "")
        try Self.checkOAuth(
            enabled: allowedOAuthFlowsUserPoolClient ?? false, flows: oauthFlows, scopes: scopes, callbacks: callbacks,
            logouts: logouts, defaultRedirect: defaultRedirectURI, hasSecret: hasSecret)
        if enablePropagateAdditionalUserContextData == true && !hasSecret {
            throw .invalidParameter(
                "EnablePropagateAdditionalUserContextData can only be activated for an app client that has a client secret.")
        }
        try Self.checkAnalytics(analyticsConfiguration)

        // Omitted settings are stored and answered as their effective default values (the issue's "access and
        // ID tokens 60 minutes; refresh 30 days; units"), so Describe shows what the client will do and a
        // Describe -> Update round trip keeps the configuration.
        let access = Self.explicitTokenValidity(accessTokenValidity, unit: units.accessToken)
        let id = Self.explicitTokenValidity(idTokenValidity, unit: units.idToken)
        let explicitUnits = TokenValidityUnitsType(
            accessToken: access.unit, idToken: id.unit, refreshToken: units.refreshToken ?? .days)
        return UserPoolClientType(
            userPoolId: identity.userPoolId, clientName: identity.clientName, clientId: identity.clientId,
            clientSecret: identity.clientSecret, lastModifiedDate: identity.lastModifiedDate,
            creationDate: identity.creationDate,
            refreshTokenValidity: refresh, accessTokenValidity: access.value, idTokenValidity: id.value,
            tokenValidityUnits: explicitUnits, readAttributes: read, writeAttributes: write,
            explicitAuthFlows: flows ?? Self.defaultExplicitAuthFlows,
            supportedIdentityProviders: providers, callbackURLs: callbacks, logoutURLs: logouts,
            defaultRedirectURI: defaultRedirectURI, allowedOAuthFlows: oauthFlows, allowedOAuthScopes: scopes,
            allowedOAuthFlowsUserPoolClient: allowedOAuthFlowsUserPoolClient ?? false,
            analyticsConfiguration: analyticsConfiguration,
            preventUserExistenceErrors: preventUserExistenceErrors ?? .legacy,
            enableTokenRevocation: enableTokenRevocation ?? true,
            enablePropagateAdditionalUserContextData: enablePropagateAdditionalUserContextData ?? false,
            authSessionValidity: authSessionValidity ?? Self.defaultAuthSessionValidity,
            refreshTokenRotation: refreshTokenRotation, clientType: .regular)
    }

    /// An access or ID token validity as stored: the given value in its unit (AWS's default unit is hours), or
    /// the one-hour default as 60 minutes (or in the unit given without a value, where it divides evenly).
    static func explicitTokenValidity(_ value: Int?, unit: TimeUnitsType?) -> (value: Int, unit: TimeUnitsType) {
        if let value { return (value, unit ?? .hours) }
        switch unit {
        case .seconds: return (defaultTokenSeconds, .seconds)
        case .hours: return (defaultTokenSeconds / 3600, .hours)
        case .minutes, .days, nil: return (defaultTokenSeconds / 60, .minutes)
        }
    }

    /// An empty list is treated as an omitted one: AWS applies the defaults for `ExplicitAuthFlows: []` (observed:
    /// the client then allows SRP sign-in), and AWS's query serializers send an empty list for an unset one.
    static func nonEmpty<T>(_ list: [T]?) -> [T]? {
        guard let list, !list.isEmpty else { return nil }
        return list
    }

    // MARK: Checks

    /// PublishSecretsInAWSSecretsManager "applies only to app clients that already have a generated secret"; for
    /// those, `true` asks for the secret to live in AWS Secrets Manager and be answered as ClientSecretArn, which
    /// this service cannot do, so it refuses rather than answer as if it had. `false` ("move it back to Amazon
    /// Cognito") is what every client here already is, and a client without a secret is not concerned.
    static func checkSecretsManager(_ publish: Bool?, hasSecret: Bool) throws(AWSError) {
        if publish == true && hasSecret {
            throw .invalidParameter(
                "PublishSecretsInAWSSecretsManager is not supported by this service: it has no AWS Secrets Manager "
                    + "and keeps client secrets itself (ClientSecret). Omit it or set it to false.")
        }
    }

    /// Legacy flow names (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH) and ALLOW_ names don't mix,
    /// and a list of ALLOW_ names must allow refresh-token sign-in (unless refresh token rotation replaces it).
    static func checkAuthFlows(_ flows: [ExplicitAuthFlowsType]?, rotation: RefreshTokenRotationType?)
        throws(AWSError)
    {
        guard let flows else { return }
        let legacy = flows.filter(legacyAuthFlows.contains)
        if !legacy.isEmpty && legacy.count < flows.count {
            throw .invalidParameter("Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names.")
        }
        if legacy.isEmpty && !flows.contains(.allowRefreshTokenAuth) && rotation?.feature != .enabled {
            throw .invalidParameter("REFRESH_TOKEN_AUTH should always be allowed.")
        }
    }

    /// Each validity, in its unit, within AWS's range; access and ID tokens may not outlive the refresh token.
    /// An omitted RefreshTokenValidity is 30 in the refresh-token unit, so a unit given without its value is
    /// checked too (AWS refuses `RefreshToken: minutes` alone: 30 minutes is below the minimum).
    static func checkValidities(access: Int?, id: Int?, refresh: Int, units: TokenValidityUnitsType) throws(AWSError) {
        let range = AWSError.invalidParameter("Invalid range for token validity.")
        let accessSeconds = access.map { $0 * seconds(units.accessToken ?? .hours) }
        let idSeconds = id.map { $0 * seconds(units.idToken ?? .hours) }
        let refreshSeconds = refresh * seconds(units.refreshToken ?? .days)
        for value in [accessSeconds, idSeconds].compactMap({ $0 }) where !accessTokenRange.contains(value) {
            throw range
        }
        guard refreshTokenRange.contains(refreshSeconds) else { throw range }
        let longest = max(accessSeconds ?? defaultTokenSeconds, idSeconds ?? defaultTokenSeconds)
        if longest > refreshSeconds {
            throw .invalidParameter(
                "Refresh token validity must be greater than or equal to access token validity and ID token validity.")
        }
    }

    /// RefreshTokenValidity as stored: 30 when omitted or 0.
    static func refreshValidity(_ given: Int?) -> Int {
        guard let given, given != 0 else { return defaultRefreshTokenValidity }
        return given
    }

    /// A stored validity in seconds, kept within 0 seconds ... 10 years (the longest AWS allows): requests are checked
    /// against AWS's ranges (`checkValidities`), so only a damaged record holds more, and its product must not
    /// overflow (a trap, not an error).
    static func lifetime(_ value: Int, _ unit: TimeUnitsType) -> Int {
        let (product, overflow) = value.multipliedReportingOverflow(by: seconds(unit))
        if overflow { return value < 0 ? 0 : refreshTokenRange.upperBound }
        return min(max(product, 0), refreshTokenRange.upperBound)
    }

    static func seconds(_ unit: TimeUnitsType) -> Int {
        switch unit {
        case .seconds: return 1
        case .minutes: return 60
        case .hours: return 3600
        case .days: return 86_400
        }
    }

    /// Read and write attributes must be attributes of the pool's schema (standard, `custom:x`, `dev:custom:x`).
    /// Write attributes may not name `sub` or the `*_verified` flags, and must include every attribute the pool
    /// requires ("all app clients can write user pool required attributes"). AWS's messages name the operation.
    static func checkAttributes(read: [String]?, write: [String]?, pool: UserPoolType, verb: Verb) throws(AWSError) {
        let schema = pool.schemaAttributes ?? []
        let names = Set(schema.compactMap(\.name))
        if let read, !read.allSatisfy(names.contains) {
            throw .invalidParameter("Invalid read attributes specified while \(verb.rawValue) a client")
        }
        guard let write else { return }
        let required = schema.filter { $0.required == true }.compactMap(\.name)
            .filter { !unwritableAttributes.contains($0) }
        let writable = Set(write)
        if !write.allSatisfy({ names.contains($0) && !unwritableAttributes.contains($0) })
            || !required.allSatisfy(writable.contains)
        {
            throw .invalidParameter("Invalid write attributes specified while \(verb.rawValue) a client")
        }
    }

    /// COGNITO is the pool's own directory; any other name must be an identity provider of the pool, and this
    /// service has none.
    static func checkIdentityProviders(_ providers: [String]?, poolId: String) throws(AWSError) {
        for provider in providers ?? [] where provider != "COGNITO" {
            throw .invalidParameter("The provider \(provider) does not exist for User Pool \(poolId)")
        }
    }

    /// AWS's OAuth rules, in AWS's words where they are known.
    static func checkOAuth(
        enabled: Bool, flows: [OAuthFlowType]?, scopes: [String]?, callbacks: [String]?, logouts: [String]?,
        defaultRedirect: String?, hasSecret: Bool
    ) throws(AWSError) {
        if enabled && (flows == nil || scopes == nil) {
            throw .invalidParameter(
                "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows.")
        }
        let flowSet = Set(flows ?? [])
        let interactive = flowSet.contains(.code) || flowSet.contains(.implicit)
        if flowSet.contains(.clientCredentials) {
            if interactive {
                throw AWSError(
                    .invalidOAuthFlow, "client_credentials flow can not be selected along with code flow or implicit flow.")
            }
            if !hasSecret {
                throw AWSError(
                    .invalidOAuthFlow, "client_credentials flow can not be selected if client does not have a client secret.")
            }
        }
        for scope in scopes ?? [] {
            guard standardScopes.contains(scope) else {
                // No resource servers exist here, so no custom scope can.
                throw AWSError(.scopeDoesNotExist, "Invalid scope requested: \(scope)")
            }
            if flowSet.contains(.clientCredentials) {
                throw AWSError(.invalidOAuthFlow, "\(scope) is not supported with client_credentials flow")
            }
        }
        for url in callbacks ?? [] { try checkRedirectURL(url, fragmentAllowed: false) }
        for url in logouts ?? [] { try checkRedirectURL(url, fragmentAllowed: true) }
        if enabled && interactive && callbacks == nil {
            throw AWSError(
                .invalidOAuthFlow, "CallbackUrls can not be empty when code flow or implicit flow is selected")
        }
        if let defaultRedirect {
            try checkRedirectURL(defaultRedirect, fragmentAllowed: false)
            if !(callbacks ?? []).contains(defaultRedirect) {
                throw .invalidParameter("The default redirect URI \(defaultRedirect) is not in the callback URIs list.")
            }
        }
    }

    /// A redirect URL is absolute (it has a scheme: `myapp://cb` is fine), has no fragment when it is a callback,
    /// and uses HTTPS unless it points at this machine (`http://localhost`, `127.0.0.1`, `[::1]`, any port).
    static func checkRedirectURL(_ url: String, fragmentAllowed: Bool) throws(AWSError) {
        let colon = url.firstIndex(of: ":") ?? url.startIndex
        let scheme = url[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else {
            throw .invalidParameter("\(url) is not a valid absolute URI.")
        }
        if !fragmentAllowed && url.contains("#") {
            throw .invalidParameter("\(url) cannot use fragment")
        }
        if scheme.lowercased() == "http" && !isLoopback(url[url.index(after: colon)...]) {
            throw .invalidParameter("\(url) cannot use the HTTP protocol.")
        }
    }

    /// Whether the authority after `http:` names `localhost`: "Amazon Cognito requires HTTPS over HTTP except for
    /// http://localhost for testing purposes only" (CallbackURLs, LogoutURLs, DefaultRedirectURI). The loopback
    /// addresses `127.0.0.1` and `[::1]` are not that name, and AWS refuses them over HTTP too.
    static func isLoopback(_ rest: Substring) -> Bool {
        guard rest.hasPrefix("//") else { return false }
        let authority = rest.dropFirst(2).prefix { !"/?#".contains($0) }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let host: Substring
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = hostPort[...close]
        } else {
            host = hostPort.prefix { $0 != ":" }
        }
        return host.lowercased() == "localhost"
    }

    /// Either ApplicationArn alone, or ApplicationId with RoleArn and ExternalId.
    static func checkAnalytics(_ config: AnalyticsConfigurationType?) throws(AWSError) {
        guard let config else { return }
        let byArn = config.applicationArn != nil
        let byId = config.applicationId != nil || config.roleArn != nil || config.externalId != nil
        let complete = config.applicationId != nil && config.roleArn != nil && config.externalId != nil
        if byArn ? byId : !complete {
            throw .invalidParameter(
                "Invalid analytics configuration given, either <application arn> or <application id, role arn, external id> are valid")
        }
    }
}

// MARK: - Effective values

/// What a stored client allows, with AWS's defaults behind every member the client was configured without. Sign-in,
/// token issue and attribute operations ask these, never the optional members themselves.
extension UserPoolClientType {
    /// The flows the client allows, in ALLOW_ form. Omitted: ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH and
    /// ALLOW_CUSTOM_AUTH. Legacy names mean what they meant before the ALLOW_ names: SRP, refresh and custom
    /// sign-in are always on, ADMIN_NO_SRP_AUTH and USER_PASSWORD_AUTH add the password flows, and
    /// CUSTOM_AUTH_FLOW_ONLY leaves custom (and refresh) sign-in alone.
    public var allowedAuthFlows: Set<ExplicitAuthFlowsType> {
        guard let flows = ClientSettings.nonEmpty(explicitAuthFlows) else {
            return Set(ClientSettings.defaultExplicitAuthFlows)
        }
        guard flows.contains(where: ClientSettings.legacyAuthFlows.contains) else { return Set(flows) }
        if flows.contains(.customAuthFlowOnly) { return [.allowCustomAuth, .allowRefreshTokenAuth] }
        var out = Set(ClientSettings.defaultExplicitAuthFlows)
        if flows.contains(.adminNoSrpAuth) { out.insert(.allowAdminUserPasswordAuth) }
        if flows.contains(.userPasswordAuth) { out.insert(.allowUserPasswordAuth) }
        return out
    }

    /// Access token lifetime in seconds (one hour when not set; units default to hours).
    public var accessTokenSeconds: Int {
        accessTokenValidity.map { ClientSettings.lifetime($0, tokenValidityUnits?.accessToken ?? .hours) }
            ?? ClientSettings.defaultTokenSeconds
    }

    /// ID token lifetime in seconds (one hour when not set; units default to hours).
    public var idTokenSeconds: Int {
        idTokenValidity.map { ClientSettings.lifetime($0, tokenValidityUnits?.idToken ?? .hours) }
            ?? ClientSettings.defaultTokenSeconds
    }

    /// Refresh token lifetime in seconds (30 days when not set or 0; units default to days).
    public var refreshTokenSeconds: Int {
        ClientSettings.lifetime(
            ClientSettings.refreshValidity(refreshTokenValidity), tokenValidityUnits?.refreshToken ?? .days)
    }

    /// How long an authentication session (challenge) lasts, in seconds.
    public var authSessionSeconds: Int {
        (authSessionValidity ?? ClientSettings.defaultAuthSessionValidity) * 60
    }

    /// LEGACY unless the client says ENABLED.
    public var effectivePreventUserExistenceErrors: PreventUserExistenceErrorTypes {
        preventUserExistenceErrors ?? .legacy
    }

    /// Token revocation is on unless turned off.
    public var tokenRevocationEnabled: Bool { enableTokenRevocation ?? true }

    /// Whether the client may read `attribute` of a user of `pool`. Without ReadAttributes every attribute of the
    /// pool's schema is readable except developer-only ones (AWS documents the standard attributes and the
    /// `*_verified` flags; we include custom attributes too, as AWS's console-made clients do).
    public func mayRead(_ attribute: String, pool: UserPoolType) -> Bool {
        if let read = ClientSettings.nonEmpty(readAttributes) { return read.contains(attribute) }
        return Self.inSchema(attribute, pool) && !attribute.hasPrefix("dev:")
    }

    /// Whether the client may write `attribute` of a user of `pool`. Without WriteAttributes every attribute of the
    /// schema but `sub`, the `*_verified` flags and developer-only ones is writable. Mutability is the attribute's
    /// own rule, checked by the caller.
    public func mayWrite(_ attribute: String, pool: UserPoolType) -> Bool {
        if let write = ClientSettings.nonEmpty(writeAttributes) { return write.contains(attribute) }
        return Self.inSchema(attribute, pool) && !attribute.hasPrefix("dev:")
            && !ClientSettings.unwritableAttributes.contains(attribute)
    }

    private static func inSchema(_ attribute: String, _ pool: UserPoolType) -> Bool {
        (pool.schemaAttributes ?? []).contains { $0.name == attribute }
    }
}
