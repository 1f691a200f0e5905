/// Returns the signed-in user's username and the attributes their app client may read, authorized by an access token.
struct GetUser: Operation {
    static let name = "GetUser"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: GetUserInput) throws -> GetUserOutput {
        try TokenCheck.authorize(input.accessToken, services, .shared) { access, _ in
            // "Their access token authorizes them to read their own attribute value for any attribute in this list"
            // (UserPoolClientType.ReadAttributes): the token's client decides, as it does for the ID token's claims.
            // `sub` identifies the user like Username does and is always returned; developer-only attributes never
            // are (they are the administrator's, and the ID token leaves them out too).
            let readable = access.user.attributes.keys.filter { name in
                name == "sub" || (!name.hasPrefix("dev:") && access.client.mayRead(name, pool: access.pool))
            }
            // MFAOptions, PreferredMfaSetting and UserMFASettingList are left out: no MFA is configured for anyone.
            return GetUserOutput(
                username: access.user.username, userAttributes: access.user.attributeList(only: Set(readable)))
        }
    }
}
