/// Signs a user in through an app client: USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH (`SignIn` has the rules).
struct InitiateAuth: Operation {
    static let name = "InitiateAuth"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: InitiateAuthInput) throws -> InitiateAuthOutput {
        switch try SignIn(services, .client(input.clientId)).initiate(input.authFlow, input.authParameters ?? [:]) {
        case .authenticated(let result):
            return InitiateAuthOutput(challengeParameters: [:], authenticationResult: result)
        case .challenge(let name, let session, let parameters):
            return InitiateAuthOutput(challengeName: name, session: session, challengeParameters: parameters)
        }
    }
}
