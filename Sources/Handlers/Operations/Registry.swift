/// Every operation this service implements, in alphabetical order. An operation is reachable through both
/// wire protocols exactly when it is listed here.
public enum Registry {
    public static let all: [OperationEntry] = [
        OperationEntry(AddCustomAttributes.self),
        OperationEntry(AdminConfirmSignUp.self),
        OperationEntry(AdminCreateUser.self),
        OperationEntry(AdminDeleteUser.self),
        OperationEntry(AdminDeleteUserAttributes.self),
        OperationEntry(AdminDisableUser.self),
        OperationEntry(AdminEnableUser.self),
        OperationEntry(AdminGetUser.self),
        OperationEntry(AdminResetUserPassword.self),
        OperationEntry(AdminSetUserPassword.self),
        OperationEntry(AdminUpdateUserAttributes.self),
        OperationEntry(ConfirmForgotPassword.self),
        OperationEntry(ConfirmSignUp.self),
        OperationEntry(CreateUserPool.self),
        OperationEntry(CreateUserPoolClient.self),
        OperationEntry(DeleteUserPool.self),
        OperationEntry(DeleteUserPoolClient.self),
        OperationEntry(DescribeUserPool.self),
        OperationEntry(DescribeUserPoolClient.self),
        OperationEntry(ForgotPassword.self),
        OperationEntry(ListUserPoolClients.self),
        OperationEntry(ListUserPools.self),
        OperationEntry(ListUsers.self),
        OperationEntry(ResendConfirmationCode.self),
        OperationEntry(SignUp.self),
        OperationEntry(UpdateUserPool.self),
        OperationEntry(UpdateUserPoolClient.self),
    ]

    public static let operations: [String: OperationEntry] = Dictionary(
        all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
}
