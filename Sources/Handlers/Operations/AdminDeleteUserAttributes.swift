/// Deletes attributes from a user, with the schema's rules on what may be deleted.
struct AdminDeleteUserAttributes: Operation {
    static let name = "AdminDeleteUserAttributes"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminDeleteUserAttributesInput) throws -> AdminDeleteUserAttributesOutput {
        try AttributeUpdate.delete(input.userAttributeNames, poolId: input.userPoolId, services: services) { tx, pool in
            try tx.existingUser(input.username, in: pool)
        }
        return AdminDeleteUserAttributesOutput()
    }
}
