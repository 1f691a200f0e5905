import Foundation
import Testing

@testable import Handlers

struct MessageTemplatesTests {
    let date = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func placeholdersAreFilled() {
        #expect(
            MessageTemplates.render("Hi {username}, {####} is {####}", code: "012345", username: "bob")
                == "Hi bob, 012345 is 012345")
        #expect(MessageTemplates.render("{#### } {username", code: "1", username: "u") == "{#### } {username")
        #expect(MessageTemplates.render("Grüße {username} ✓ {####}", code: "9", username: "Zoë") == "Grüße Zoë ✓ 9")
    }

    @Test func aUsernameIsNeverSearchedForPlaceholders() {
        // A user named "{####}" must not receive the code in place of their name twice over, nor the reverse.
        #expect(
            MessageTemplates.render("{username}: {####}", code: "{username}", username: "{####}")
                == "{####}: {username}")
    }

    @Test func verificationDefaultsAreAWSs() {
        let pool = UserPoolType(id: "us-east-1_abc")
        let email = MessageTemplates.verification(pool: pool, medium: .email, code: "123456", username: "bob")
        #expect(email == .init(subject: "Your verification code", body: "Your verification code is 123456. "))
        let sms = MessageTemplates.verification(pool: pool, medium: .sms, code: "123456", username: "bob")
        #expect(sms == .init(subject: nil, body: "Your verification code is 123456. "))
    }

    @Test func theVerificationTemplateWinsOverTheLegacyFields() {
        var pool = UserPoolType(
            smsVerificationMessage: "legacy sms {####}", emailVerificationMessage: "legacy {####}",
            emailVerificationSubject: "legacy subject")
        #expect(
            MessageTemplates.verification(pool: pool, medium: .email, code: "1", username: "u")
                == .init(subject: "legacy subject", body: "legacy 1"))
        #expect(
            MessageTemplates.verification(pool: pool, medium: .sms, code: "1", username: "u").body == "legacy sms 1")
        pool.verificationMessageTemplate = VerificationMessageTemplateType(
            smsMessage: "sms for {username}: {####}", emailMessage: "Hello {username}, code {####}",
            emailSubject: "Code for {username}", defaultEmailOption: .confirmWithCode)
        #expect(
            MessageTemplates.verification(pool: pool, medium: .email, code: "654321", username: "amy")
                == .init(subject: "Code for amy", body: "Hello amy, code 654321"))
        #expect(
            MessageTemplates.verification(pool: pool, medium: .sms, code: "654321", username: "amy").body
                == "sms for amy: 654321")
    }

    @Test func linkVerificationFallsBackToTheCodeTemplate() {
        let pool = UserPoolType(
            verificationMessageTemplate: VerificationMessageTemplateType(
                emailMessage: "code {####}", emailSubject: "s", emailMessageByLink: "click {##Verify Email##}",
                emailSubjectByLink: "link", defaultEmailOption: .confirmWithLink))
        #expect(
            MessageTemplates.verification(pool: pool, medium: .email, code: "1", username: "u")
                == .init(subject: "s", body: "code 1"))
    }

    @Test func invitationDefaultsAreAWSs() {
        let pool = UserPoolType(id: "us-east-1_abc")
        let email = MessageTemplates.invitation(
            pool: pool, medium: .email, username: "bob", temporaryPassword: "Tmp#1234")
        #expect(
            email
                == .init(
                    subject: "Your temporary password",
                    body: "Your username is bob and temporary password is Tmp#1234. "))
        let sms = MessageTemplates.invitation(pool: pool, medium: .sms, username: "bob", temporaryPassword: "Tmp#1234")
        #expect(sms.subject == nil)
        #expect(sms.body == "Your username is bob and temporary password is Tmp#1234. ")
    }

    @Test func invitationTemplatesAreUsed() {
        let pool = UserPoolType(
            adminCreateUserConfig: AdminCreateUserConfigType(
                inviteMessageTemplate: MessageTemplateType(
                    sMSMessage: "{username} / {####}", emailMessage: "Welcome {username}: {####}",
                    emailSubject: "Welcome")))
        #expect(
            MessageTemplates.invitation(pool: pool, medium: .email, username: "amy", temporaryPassword: "pw")
                == .init(subject: "Welcome", body: "Welcome amy: pw"))
        #expect(
            MessageTemplates.invitation(pool: pool, medium: .sms, username: "amy", temporaryPassword: "pw").body
                == "amy / pw")
    }

    @Test func wholeMessagesCarryWhatTheOutboxNeeds() {
        let pool = UserPoolType(id: "us-east-1_abc")
        let m = MessageTemplates.verificationMessage(
            pool: pool, kind: .signUp, medium: .email, destination: "amy@example.com", code: "123456",
            username: "amy", date: date)
        #expect(m.kind == .signUp)
        #expect(m.poolId == "us-east-1_abc")
        #expect(m.code == "123456")
        #expect(m.attributeName == "email")
        #expect(m.subject == "Your verification code")
        #expect(m.from == nil)
        #expect(
            m.deliveryDetails
                == CodeDeliveryDetailsType(destination: "a***@e***", deliveryMedium: .email, attributeName: "email"))

        let invite = MessageTemplates.invitationMessage(
            pool: pool, medium: .sms, destination: "+15555550123", username: "amy", temporaryPassword: "pw", date: date)
        #expect(invite.kind == .adminCreateUser)
        #expect(invite.temporaryPassword == "pw")
        #expect(invite.code == nil)
        #expect(invite.subject == nil)
        #expect(invite.attributeName == "phone_number")

        let mfa = MessageTemplates.authenticationMessage(
            pool: pool, destination: "+15555550123", code: "999000", username: "amy", date: date)
        #expect(mfa.body == "Your authentication code is 999000. ")
        #expect(mfa.medium == .sms)
    }

    @Test func thePoolsFromAppliesOnlyForItsOwnSendingAccount() {
        var pool = UserPoolType(
            id: "p",
            emailConfiguration: EmailConfigurationType(
                replyToEmailAddress: "help@example.com", emailSendingAccount: .cognitoDefault,
                from: "App <no-reply@example.com>"))
        var m = MessageTemplates.verificationMessage(
            pool: pool, kind: .forgotPassword, medium: .email, destination: "a@b.c", code: "1", username: "u",
            date: date)
        #expect(m.from == nil)
        #expect(m.replyTo == "help@example.com")
        pool.emailConfiguration?.emailSendingAccount = .developer
        m = MessageTemplates.verificationMessage(
            pool: pool, kind: .forgotPassword, medium: .email, destination: "a@b.c", code: "1", username: "u",
            date: date)
        #expect(m.from == "App <no-reply@example.com>")
    }
}
