/// Deletes the signed-in user: the record (with its codes and refresh tokens) and its alias entries.
struct DeleteUser: Operation {
    static let name = "DeleteUser"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    func run(_ input: DeleteUserInput) throws -> DeleteUserOutput {
        // One transaction: the token is confirmed and the user deleted under the same exclusive lock, so a
        // sign-out or a second DeleteUser in between cannot slip through. Afterwards the token check finds no user
        // ("User does not exist.") for every access token, and REFRESH_TOKEN_AUTH finds no record ("Invalid
        // Refresh Token"): the refresh tokens lived in the deleted record. A new user under the same name gets a
        // new `sub`, which the old tokens do not carry.
        try TokenCheck.authorize(input.accessToken, services, .exclusive) { access, tx in
            try tx.deleteUser(access.user, in: access.pool)
        }
        return DeleteUserOutput()
    }
}
