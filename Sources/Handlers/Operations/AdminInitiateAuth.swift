/// Signs a user in as an administrator: ADMIN_USER_PASSWORD_AUTH (ADMIN_NO_SRP_AUTH) or REFRESH_TOKEN_AUTH.
struct AdminInitiateAuth: Operation {
    static let name = "AdminInitiateAuth"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminInitiateAuthInput) throws -> AdminInitiateAuthOutput {
        let signIn = SignIn(services, .admin(poolId: input.userPoolId, clientId: input.clientId))
        switch try signIn.initiate(input.authFlow, input.authParameters ?? [:]) {
        case .authenticated(let result):
            return AdminInitiateAuthOutput(challengeParameters: [:], authenticationResult: result)
        case .challenge(let name, let session, let parameters):
            return AdminInitiateAuthOutput(challengeName: name, session: session, challengeParameters: parameters)
        }
    }
}
