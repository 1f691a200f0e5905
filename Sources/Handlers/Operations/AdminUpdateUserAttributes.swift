/// Changes a user's attributes as an administrator, who may also set the `*_verified` flags.
struct AdminUpdateUserAttributes: Operation {
    static let name = "AdminUpdateUserAttributes"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminUpdateUserAttributesInput) throws -> AdminUpdateUserAttributesOutput {
        // Codes are still sent for changed auto-verified attributes; this response has no place to say where.
        let user = AttributeUpdate.Subject.user(input.username, poolId: input.userPoolId)
        _ = try AttributeUpdate.update(input.userAttributes, of: user, services: services)
        return AdminUpdateUserAttributesOutput()
    }
}
