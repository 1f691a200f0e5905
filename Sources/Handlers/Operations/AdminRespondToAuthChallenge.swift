/// Answers a sign-in challenge as an administrator: NEW_PASSWORD_REQUIRED sets the user's own password.
struct AdminRespondToAuthChallenge: Operation {
    static let name = "AdminRespondToAuthChallenge"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminRespondToAuthChallengeInput) throws -> AdminRespondToAuthChallengeOutput {
        let signIn = SignIn(services, .admin(poolId: input.userPoolId, clientId: input.clientId))
        let result = try signIn.respond(
            to: input.challengeName, responses: input.challengeResponses ?? [:], session: input.session)
        return AdminRespondToAuthChallengeOutput(challengeParameters: [:], authenticationResult: result)
    }
}
