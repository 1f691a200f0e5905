import Foundation

/// Starts a password reset: status RESET_REQUIRED and a one-hour reset code to the user's verified email or phone.
struct AdminResetUserPassword: Operation {
    static let name = "AdminResetUserPassword"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminResetUserPasswordInput) throws -> AdminResetUserPasswordOutput {
        let now = services.clock.now()
        let secret = services.store.secret
        let message = try services.store.changeUser(input.userPoolId, input.username) { user, pool in
            // Only a confirmed user has a password to reset (a reset already under way gets a new code). AWS answers
            // FORCE_CHANGE_PASSWORD users so, as users report verbatim; moto answers every other status alike.
            guard user.enabled else { throw AWSError.notAuthorized("User is disabled.") }
            guard user.status == .confirmed || user.status == .resetRequired else {
                throw AWSError.notAuthorized("User password cannot be reset in the current state.")
            }
            guard let destination = user.recoveryDestination(in: pool) else {
                throw AWSError.invalidParameter(
                    "Cannot reset password for the user as there is no registered/verified email or phone_number")
            }
            let code = try VerificationCode.issue(
                .forgotPassword, in: &user.codes, now: now, random: services.random, secret: secret, request: .exempt)
            user.status = .resetRequired
            user.modified = now
            return MessageTemplates.verificationMessage(
                pool: pool, kind: .forgotPassword, medium: destination.medium, destination: destination.value,
                attributeName: destination.attribute, code: code,
                username: UserCreation.signInName(of: user, in: pool), date: now)
        }
        try services.sender.send(message)
        return AdminResetUserPasswordOutput()
    }
}
