/// Disables a user: sign-in is refused, and the tokens already issued are revoked for good, as AWS's reference says
/// ("Deactivates a user profile and revokes all access tokens for the user"): a global sign-out, so that enabling the
/// user again does not bring back the sessions of before (their refresh tokens would mint new access tokens).
struct AdminDisableUser: Operation {
    static let name = "AdminDisableUser"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminDisableUserInput) throws -> AdminDisableUserOutput {
        let now = services.clock.now()
        try services.store.changeUser(input.userPoolId, input.username) { user, _ in
            guard user.enabled else { return }
            user.enabled = false
            user.modified = now
            GlobalSignOut.signOut(&user, now: now)
        }
        return AdminDisableUserOutput()
    }
}
