import Foundation
import Logging

/// One message to a user: a verification code or an invitation, by email or SMS, already rendered from the
/// pool's templates (`MessageTemplates`). Senders deliver it as it is.
///
/// Its `description` leaves out the body, the code and the temporary password, and masks the destination, so
/// interpolating a message into a log line cannot leak a live code.
public struct Message: Sendable, Equatable {
    /// What the message is for, named as Cognito's custom-message trigger sources name them
    /// (`CustomMessage_SignUp`, `CustomMessage_AdminCreateUser`, ...).
    public enum Kind: String, Sendable, CaseIterable {
        case signUp = "SignUp"
        case resendCode = "ResendCode"
        case forgotPassword = "ForgotPassword"
        case updateUserAttribute = "UpdateUserAttribute"
        case verifyUserAttribute = "VerifyUserAttribute"
        case adminCreateUser = "AdminCreateUser"
        case authentication = "Authentication"
    }

    public var kind: Kind
    public var medium: DeliveryMediumType
    /// The unmasked email address or phone number.
    public var destination: String
    /// The attribute the destination came from (`email`, `phone_number`).
    public var attributeName: String?
    /// Email only.
    public var subject: String?
    public var body: String
    /// The verification code the body carries, if any.
    public var code: String?
    /// The temporary password an invitation carries, if any.
    public var temporaryPassword: String?
    public var poolId: String
    public var username: String
    /// The pool's sender address (`EmailConfiguration.From`), when the pool sends as its own (DEVELOPER) account;
    /// otherwise the sender's configured default applies.
    public var from: String?
    public var replyTo: String?
    /// When the message was made (the request's clock): the outbox record's and the email's `Date`.
    public var date: Date

    public init(
        kind: Kind, medium: DeliveryMediumType, destination: String, attributeName: String? = nil,
        subject: String? = nil, body: String, code: String? = nil, temporaryPassword: String? = nil,
        poolId: String, username: String, from: String? = nil, replyTo: String? = nil, date: Date
    ) {
        self.kind = kind
        self.medium = medium
        self.destination = destination
        self.attributeName = attributeName
        self.subject = subject
        self.body = body
        self.code = code
        self.temporaryPassword = temporaryPassword
        self.poolId = poolId
        self.username = username
        self.from = from
        self.replyTo = replyTo
        self.date = date
    }

    /// The masked destination, as `CodeDeliveryDetails` and log lines show it.
    public var maskedDestination: String { Masking.destination(destination, medium: medium) }

    /// What a response reports about this message.
    public var deliveryDetails: CodeDeliveryDetailsType {
        CodeDeliveryDetailsType(
            destination: maskedDestination, deliveryMedium: medium,
            attributeName: attributeName ?? (medium == .email ? "email" : "phone_number"))
    }

    /// Log metadata without the body, the code, the password or the full destination.
    public var logMetadata: Logger.Metadata {
        [
            "kind": "\(kind.rawValue)", "medium": "\(medium.rawValue)", "pool": "\(poolId)",
            "to": "\(maskedDestination)",
        ]
    }
}

extension Message: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "Message(\(kind.rawValue), \(medium.rawValue) to \(maskedDestination), pool \(poolId))"
    }
    public var debugDescription: String { description }
}

// MARK: - JSON (the outbox's file format)

extension Message {
    /// `{"Kind", "DeliveryMedium", "Destination", "AttributeName", "Subject", "Body", "Code",
    /// "TemporaryPassword", "UserPoolId", "Username", "From", "ReplyTo", "Date" (epoch seconds)}`; absent
    /// optional members are left out.
    public func toJSON() -> JSON {
        var o: [String: JSON] = [
            "Kind": .string(kind.rawValue),
            "DeliveryMedium": .string(medium.rawValue),
            "Destination": .string(destination),
            "Body": .string(body),
            "UserPoolId": .string(poolId),
            "Username": .string(username),
        ]
        let t = date.timeIntervalSince1970
        o["Date"] = t == t.rounded() && abs(t) < 9e15 ? .int(Int(t)) : .double(t)
        o["AttributeName"] = attributeName.map(JSON.string)
        o["Subject"] = subject.map(JSON.string)
        o["Code"] = code.map(JSON.string)
        o["TemporaryPassword"] = temporaryPassword.map(JSON.string)
        o["From"] = from.map(JSON.string)
        o["ReplyTo"] = replyTo.map(JSON.string)
        return .object(o)
    }

    public init(json: JSON) throws(AWSError) {
        guard case .object(let o) = json,
            let kind = o["Kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let medium = o["DeliveryMedium"]?.stringValue.flatMap(DeliveryMediumType.init(rawValue:)),
            let destination = o["Destination"]?.stringValue,
            let body = o["Body"]?.stringValue,
            let poolId = o["UserPoolId"]?.stringValue,
            let username = o["Username"]?.stringValue
        else { throw AWSError.internalError }
        let date: Date
        switch o["Date"] {
        case .int(let n): date = Date(timeIntervalSince1970: TimeInterval(n))
        case .double(let d): date = Date(timeIntervalSince1970: d)
        default: throw AWSError.internalError
        }
        self.init(
            kind: kind, medium: medium, destination: destination, attributeName: o["AttributeName"]?.stringValue,
            subject: o["Subject"]?.stringValue, body: body, code: o["Code"]?.stringValue,
            temporaryPassword: o["TemporaryPassword"]?.stringValue, poolId: poolId, username: username,
            from: o["From"]?.stringValue, replyTo: o["ReplyTo"]?.stringValue, date: date)
    }
}
