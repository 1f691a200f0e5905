import Testing

@testable import Handlers

struct MaskingTests {
    @Test(arguments: [
        ("alice@example.com", "a***@e***"),
        ("sulishi141592653@gmail.com", "s***@g***"),
        ("Bob.Smith+tag@Sub.Example.co.uk", "B***@S***"),
        ("x@y", "x***@y***"),
        ("élodie@ümlaut.de", "é***@ü***"),
        ("odd@local@host.example", "o***@h***"),
        ("@example.com", "***@e***"),
        ("no-at-sign", "n***"),
        ("", "***"),
    ])
    func emails(_ address: String, _ masked: String) {
        #expect(Masking.email(address) == masked)
    }

    @Test(arguments: [
        ("+15555550123", "+*******0123"),
        ("+447700902076", "+********2076"),
        ("+5511987654516", "+*********4516"),
        ("15555550123", "*******0123"),
        ("+1234", "+****"),
        ("+12345", "+*2345"),
    ])
    func phoneNumbers(_ number: String, _ masked: String) {
        #expect(Masking.phone(number) == masked)
    }

    @Test func deliveryDetailsAreMaskedByMedium() {
        #expect(
            CodeDeliveryDetailsType(maskedDestination: "jane@example.com", medium: .email, attributeName: "email")
                == CodeDeliveryDetailsType(destination: "j***@e***", deliveryMedium: .email, attributeName: "email"))
        let sms = CodeDeliveryDetailsType(
            maskedDestination: "+15555550123", medium: .sms, attributeName: "phone_number")
        #expect(
            sms.toJSON()
                == .object(["Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number"]))
    }
}
