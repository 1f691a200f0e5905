/// Deletes a user: alias entries, then the record that holds its codes and refresh tokens.
struct AdminDeleteUser: Operation {
    static let name = "AdminDeleteUser"
    static let authorization = Authorization.iam

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: AdminDeleteUserInput) throws -> AdminDeleteUserOutput {
        try services.store.withPool(input.userPoolId, .exclusive) { tx in
            let pool = try tx.pool()
            try tx.deleteUser(tx.existingUser(input.username, in: pool), in: pool)
        }
        return AdminDeleteUserOutput()
    }
}
