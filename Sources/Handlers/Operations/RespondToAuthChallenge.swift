/// Answers a sign-in challenge through an app client: NEW_PASSWORD_REQUIRED sets the user's own password.
struct RespondToAuthChallenge: Operation {
    static let name = "RespondToAuthChallenge"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: RespondToAuthChallengeInput) throws -> RespondToAuthChallengeOutput {
        let result = try SignIn(services, .client(input.clientId)).respond(
            to: input.challengeName, responses: input.challengeResponses ?? [:], session: input.session)
        return RespondToAuthChallengeOutput(challengeParameters: [:], authenticationResult: result)
    }
}
