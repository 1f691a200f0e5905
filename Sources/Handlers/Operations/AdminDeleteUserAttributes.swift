/// Deletes attributes from a user, with the schema's rules on what may be deleted.
struct AdminDeleteUserAttributes: Operation {
    static let name = "AdminDeleteUserAttributes"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminDeleteUserAttributesInput) throws -> AdminDeleteUserAttributesOutput {
        let user = AttributeUpdate.Subject.user(input.username, poolId: input.userPoolId)
        try AttributeUpdate.delete(input.userAttributeNames, of: user, services: services)
        return AdminDeleteUserAttributesOutput()
    }
}
