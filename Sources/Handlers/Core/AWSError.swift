/// The one error type every operation throws: a code whose raw value is the exact AWS `__type`, and a message.
public struct AWSError: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        // Service errors (botocore's cognito-idp model)
        case aliasExists = "AliasExistsException"
        case codeDeliveryFailure = "CodeDeliveryFailureException"
        case codeMismatch = "CodeMismatchException"
        case concurrentModification = "ConcurrentModificationException"
        case expiredCode = "ExpiredCodeException"
        case forbidden = "ForbiddenException"
        case internalError = "InternalErrorException"
        case invalidOAuthFlow = "InvalidOAuthFlowException"
        case invalidParameter = "InvalidParameterException"
        case invalidPassword = "InvalidPasswordException"
        case invalidUserPoolConfiguration = "InvalidUserPoolConfigurationException"
        case limitExceeded = "LimitExceededException"
        case notAuthorized = "NotAuthorizedException"
        case passwordHistoryPolicyViolation = "PasswordHistoryPolicyViolationException"
        case passwordResetRequired = "PasswordResetRequiredException"
        case preconditionNotMet = "PreconditionNotMetException"
        case refreshTokenReuse = "RefreshTokenReuseException"
        case resourceNotFound = "ResourceNotFoundException"
        case scopeDoesNotExist = "ScopeDoesNotExistException"
        case tooManyFailedAttempts = "TooManyFailedAttemptsException"
        case tooManyRequests = "TooManyRequestsException"
        case unauthorized = "UnauthorizedException"
        case unsupportedOperation = "UnsupportedOperationException"
        case unsupportedTokenType = "UnsupportedTokenTypeException"
        case unsupportedUserState = "UnsupportedUserStateException"
        case userNotConfirmed = "UserNotConfirmedException"
        case userNotFound = "UserNotFoundException"
        case userPoolTagging = "UserPoolTaggingException"
        case usernameExists = "UsernameExistsException"
        // Protocol-level errors (common to every AWS JSON service)
        case serialization = "SerializationException"
        case unknownOperation = "UnknownOperationException"
        case missingAuthenticationToken = "MissingAuthenticationTokenException"
        case unrecognizedClient = "UnrecognizedClientException"
        case invalidSignature = "InvalidSignatureException"
        case incompleteSignature = "IncompleteSignatureException"
        case accessDenied = "AccessDeniedException"
        case requestEntityTooLarge = "RequestEntityTooLargeException"
        case notFound = "NotFoundException"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status AWS answers with for this error.
    public var httpStatus: Int {
        switch code {
        case .internalError: return 500
        case .missingAuthenticationToken, .invalidSignature, .incompleteSignature, .accessDenied,
            .unrecognizedClient, .forbidden:
            return 403
        case .requestEntityTooLarge: return 413
        case .notFound: return 404
        default: return 400
        }
    }
}

extension AWSError {
    public static func invalidParameter(_ message: String) -> AWSError { AWSError(.invalidParameter, message) }
    public static func resourceNotFound(_ message: String) -> AWSError { AWSError(.resourceNotFound, message) }
    public static func notAuthorized(_ message: String) -> AWSError { AWSError(.notAuthorized, message) }
    public static let internalError = AWSError(.internalError, "Internal server error.")

    static func poolNotFound(_ poolId: String) -> AWSError {
        .resourceNotFound("User pool \(poolId) does not exist.")
    }

    static func clientNotFound(_ clientId: String) -> AWSError {
        .resourceNotFound("User pool client \(clientId) does not exist.")
    }
}
