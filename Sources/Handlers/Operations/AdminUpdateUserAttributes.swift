/// Changes a user's attributes as an administrator, who may also set the `*_verified` flags.
struct AdminUpdateUserAttributes: Operation {
    static let name = "AdminUpdateUserAttributes"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminUpdateUserAttributesInput) throws -> AdminUpdateUserAttributesOutput {
        // Codes are still sent for changed auto-verified attributes; this response has no place to say where.
        _ = try AttributeUpdate.update(input.userAttributes, poolId: input.userPoolId, services: services) { tx, pool in
            try tx.existingUser(input.username, in: pool)
        }
        return AdminUpdateUserAttributesOutput()
    }
}
