/// Signs a user out everywhere as an administrator: every access and refresh token issued to them until now is refused.
struct AdminUserGlobalSignOut: Operation {
    static let name = "AdminUserGlobalSignOut"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminUserGlobalSignOutInput) throws -> AdminUserGlobalSignOutOutput {
        let now = services.clock.now()
        // Any user, whatever their status or whether they are enabled: signing out takes nothing away from them
        // but their sessions.
        try services.store.changeUser(input.userPoolId, input.username) { user, _ in
            GlobalSignOut.signOut(&user, now: now)
        }
        return AdminUserGlobalSignOutOutput()
    }
}
