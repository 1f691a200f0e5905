/// Changes the signed-in user's own attributes; a new email or phone number is unverified and gets a code.
struct UpdateUserAttributes: Operation {
    static let name = "UpdateUserAttributes"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: UpdateUserAttributesInput) throws -> UpdateUserAttributesOutput {
        // ClientMetadata only ever reaches Lambda triggers, which this service does not run: accepted, unused.
        let token = try TokenCheck.verify(input.accessToken, services)
        let sent = try AttributeUpdate.update(input.userAttributes, of: .signedIn(token), services: services)
        // Nothing sent (no verifiable attribute changed, or none auto-verified): the list is left out.
        return UpdateUserAttributesOutput(codeDeliveryDetailsList: sent.isEmpty ? nil : sent)
    }
}
