/// New ID and access tokens from a refresh token, and a new refresh token when the app client rotates them: the
/// only way to refresh with such a client (`SignIn.tokens(fromRefreshToken:clientSecret:)` has the rules).
struct GetTokensFromRefreshToken: Operation {
    static let name = "GetTokensFromRefreshToken"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: GetTokensFromRefreshTokenInput) throws -> GetTokensFromRefreshTokenOutput {
        // DeviceKey names a remembered device, which this service does not track; ClientMetadata only ever reaches
        // Lambda triggers, which it does not run: both accepted, unused, as InitiateAuth's.
        let result = try SignIn(services, .client(input.clientId))
            .tokens(fromRefreshToken: input.refreshToken, clientSecret: input.clientSecret)
        return GetTokensFromRefreshTokenOutput(authenticationResult: result)
    }
}
