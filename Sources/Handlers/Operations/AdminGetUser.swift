/// Returns a user's attributes, status and dates, found by username, alias or sub.
struct AdminGetUser: Operation {
    static let name = "AdminGetUser"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminGetUserInput) throws -> AdminGetUserOutput {
        let user = try services.store.withPool(input.userPoolId, .shared) { tx in
            try tx.existingUser(input.username, in: tx.pool())
        }
        // MFAOptions, PreferredMfaSetting and UserMFASettingList are left out: no MFA is configured for anyone.
        return AdminGetUserOutput(
            username: user.username, userAttributes: user.attributeList(), userCreateDate: user.created,
            userLastModifiedDate: user.modified, enabled: user.enabled, userStatus: user.status)
    }
}
