/// Confirms an unconfirmed user's sign-up without a code.
struct AdminConfirmSignUp: Operation {
    static let name = "AdminConfirmSignUp"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminConfirmSignUpInput) throws -> AdminConfirmSignUpOutput {
        let now = services.clock.now()
        try services.store.changeUser(input.userPoolId, input.username) { user, _ in
            guard user.status == .unconfirmed else {
                throw AWSError.notAuthorized("User cannot be confirmed. Current status is \(user.status.rawValue)")
            }
            user.status = .confirmed
            // The code sent at sign-up has nothing left to confirm.
            user.codes[CodePurpose.signUp.key] = nil
            user.modified = now
        }
        return AdminConfirmSignUpOutput()
    }
}
