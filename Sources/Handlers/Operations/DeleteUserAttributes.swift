/// Deletes attributes from the signed-in user, within what the schema and the client's WriteAttributes allow.
struct DeleteUserAttributes: Operation {
    static let name = "DeleteUserAttributes"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DeleteUserAttributesInput) throws -> DeleteUserAttributesOutput {
        let token = try TokenCheck.verify(input.accessToken, services)
        try AttributeUpdate.delete(input.userAttributeNames, of: .signedIn(token), services: services)
        return DeleteUserAttributesOutput()
    }
}
