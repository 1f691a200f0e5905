/// Disables a user: sign-in is refused and the token check refuses the tokens already issued.
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
        }
        return AdminDisableUserOutput()
    }
}
