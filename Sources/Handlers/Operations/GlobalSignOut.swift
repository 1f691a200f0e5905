import Foundation

/// Signs the access token's user out everywhere: every token issued to them until now is refused from now on.
struct GlobalSignOut: Operation {
    static let name = "GlobalSignOut"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: GlobalSignOutInput) throws -> GlobalSignOutOutput {
        // Only the user's record is written: a change under the user's lock.
        let verified = try TokenCheck.verify(input.accessToken, services)
        try TokenCheck.changeUser(verified, services) { access, tx in
            var user = access.user
            Self.signOut(&user, now: services.clock.now())
            try tx.saveUser(user, previous: access.user, in: access.pool)
        }
        return GlobalSignOutOutput()
    }

    /// What a global sign-out does to a user record (AdminUserGlobalSignOut does the same): the token check refuses
    /// access tokens issued before `signedOutAt`, and every refresh token is marked revoked. The user's
    /// LastModifiedDate stays: their attributes did not change.
    static func signOut(_ user: inout UserRecord, now: Date) {
        user.signedOutAt = now
        RefreshTokens.revokeAll(in: &user)
    }
}
