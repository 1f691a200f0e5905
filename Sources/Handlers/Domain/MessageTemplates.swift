import Foundation

/// The texts of the messages a pool sends, from its templates or AWS's defaults, with `{####}` (the code, or an
/// invitation's temporary password) and `{username}` filled in.
///
/// Which template applies:
/// - Verification (sign-up, resent code, attribute verification, forgot password: AWS uses the verification
///   template for all of them): `VerificationMessageTemplate.EmailSubject`/`EmailMessage`/`SmsMessage`, else the
///   legacy `EmailVerificationSubject`/`EmailVerificationMessage`/`SmsVerificationMessage` (CreateUserPool keeps
///   both in step), else AWS's defaults. `DefaultEmailOption` CONFIRM_WITH_LINK is answered with the code
///   template: links need the hosted UI, which this service does not have.
/// - Invitation (AdminCreateUser): `AdminCreateUserConfig.InviteMessageTemplate`, else AWS's defaults.
/// - SMS authentication (MFA): `SmsAuthenticationMessage`, else AWS's default.
///
/// AWS's defaults, as DescribeUserPool reports them for a pool created without messages (and as Terraform
/// definitions imported from such pools carry them, trailing space included).
public enum MessageTemplates {
    public static let defaultVerificationSubject = "Your verification code"
    public static let defaultVerificationMessage = "Your verification code is {####}. "
    public static let defaultInvitationSubject = "Your temporary password"
    public static let defaultInvitationMessage = "Your username is {username} and temporary password is {####}. "
    public static let defaultAuthenticationMessage = "Your authentication code is {####}. "

    /// The subject (email only) and body of a message.
    public struct Text: Sendable, Equatable {
        public var subject: String?
        public var body: String
    }

    /// Fills `{####}` with `code` and `{username}` with `username` in one pass over `template`, so text that a
    /// user controls (the username) is never itself searched for placeholders.
    public static func render(_ template: String, code: String, username: String) -> String {
        let codeMark = Array("{####}".utf8)
        let userMark = Array("{username}".utf8)
        let bytes = Array(template.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "{") {
                if bytes[i...].starts(with: codeMark) {
                    out += code.utf8
                    i += codeMark.count
                    continue
                }
                if bytes[i...].starts(with: userMark) {
                    out += username.utf8
                    i += userMark.count
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A verification code's text for `medium`.
    public static func verification(pool: UserPoolType, medium: DeliveryMediumType, code: String, username: String)
        -> Text
    {
        let template = pool.verificationMessageTemplate
        switch medium {
        case .email:
            let subject =
                configured(template?.emailSubject) ?? configured(pool.emailVerificationSubject)
                ?? defaultVerificationSubject
            let body =
                configured(template?.emailMessage) ?? configured(pool.emailVerificationMessage)
                ?? defaultVerificationMessage
            return Text(
                subject: render(subject, code: code, username: username),
                body: render(body, code: code, username: username))
        case .sms:
            let body =
                configured(template?.smsMessage) ?? configured(pool.smsVerificationMessage)
                ?? defaultVerificationMessage
            return Text(subject: nil, body: render(body, code: code, username: username))
        }
    }

    /// An invitation's text for `medium`; `{####}` is the temporary password.
    public static func invitation(
        pool: UserPoolType, medium: DeliveryMediumType, username: String, temporaryPassword: String
    ) -> Text {
        let template = pool.adminCreateUserConfig?.inviteMessageTemplate
        switch medium {
        case .email:
            let subject = configured(template?.emailSubject) ?? defaultInvitationSubject
            let body = configured(template?.emailMessage) ?? defaultInvitationMessage
            return Text(
                subject: render(subject, code: temporaryPassword, username: username),
                body: render(body, code: temporaryPassword, username: username))
        case .sms:
            let body = configured(template?.sMSMessage) ?? defaultInvitationMessage
            return Text(subject: nil, body: render(body, code: temporaryPassword, username: username))
        }
    }

    // MARK: Whole messages

    /// A verification code ready for a `Sender`. `destination` is the unmasked address or number;
    /// `attributeName` defaults to `email` / `phone_number` by medium.
    public static func verificationMessage(
        pool: UserPoolType, kind: Message.Kind, medium: DeliveryMediumType, destination: String,
        attributeName: String? = nil, code: String, username: String, date: Date
    ) -> Message {
        let text = verification(pool: pool, medium: medium, code: code, username: username)
        return message(
            pool: pool, kind: kind, medium: medium, destination: destination, attributeName: attributeName,
            text: text, code: code, temporaryPassword: nil, username: username, date: date)
    }

    /// An invitation (AdminCreateUser) ready for a `Sender`.
    public static func invitationMessage(
        pool: UserPoolType, medium: DeliveryMediumType, destination: String, attributeName: String? = nil,
        username: String, temporaryPassword: String, date: Date
    ) -> Message {
        let text = invitation(pool: pool, medium: medium, username: username, temporaryPassword: temporaryPassword)
        return message(
            pool: pool, kind: .adminCreateUser, medium: medium, destination: destination,
            attributeName: attributeName, text: text, code: nil, temporaryPassword: temporaryPassword,
            username: username, date: date)
    }

    /// An SMS sign-in (MFA) code ready for a `Sender`.
    public static func authenticationMessage(
        pool: UserPoolType, destination: String, code: String, username: String, date: Date
    ) -> Message {
        let body = render(
            configured(pool.smsAuthenticationMessage) ?? defaultAuthenticationMessage, code: code, username: username)
        return message(
            pool: pool, kind: .authentication, medium: .sms, destination: destination, attributeName: "phone_number",
            text: Text(subject: nil, body: body), code: code, temporaryPassword: nil, username: username, date: date)
    }

    private static func message(
        pool: UserPoolType, kind: Message.Kind, medium: DeliveryMediumType, destination: String,
        attributeName: String?, text: Text, code: String?, temporaryPassword: String?, username: String, date: Date
    ) -> Message {
        let email = pool.emailConfiguration
        // As on AWS, the pool's own From applies only when it sends as its own (DEVELOPER) account.
        let from = email?.emailSendingAccount == .developer ? configured(email?.from) : nil
        return Message(
            kind: kind, medium: medium, destination: destination,
            attributeName: attributeName ?? (medium == .email ? "email" : "phone_number"),
            subject: medium == .email ? text.subject : nil, body: text.body, code: code,
            temporaryPassword: temporaryPassword, poolId: pool.id ?? "", username: username,
            from: medium == .email ? from : nil,
            replyTo: medium == .email ? configured(email?.replyToEmailAddress) : nil, date: date)
    }

    private static func configured(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
