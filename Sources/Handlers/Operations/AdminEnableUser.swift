/// Enables a disabled user again.
struct AdminEnableUser: Operation {
    static let name = "AdminEnableUser"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminEnableUserInput) throws -> AdminEnableUserOutput {
        let now = services.clock.now()
        try services.store.changeUser(input.userPoolId, input.username) { user, _ in
            guard !user.enabled else { return }
            user.enabled = true
            user.modified = now
        }
        return AdminEnableUserOutput()
    }
}
