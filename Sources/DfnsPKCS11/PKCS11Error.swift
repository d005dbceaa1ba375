import CPKCS11

/// A PKCS#11 call that failed, or a token, key or module that cannot be used: what was being done and the module's
/// return value by name (`CKR_PIN_INCORRECT`), never a PIN.
public struct PKCS11Error: Error, Sendable, CustomStringConvertible {
    /// The `CK_RV` the module answered; nil when the failure is ours (a key of a type Dfns does not take, no such key).
    public let returnValue: UInt?
    /// What failed, naming the module, token or key.
    public let message: String

    init(_ message: String, returnValue: UInt? = nil) {
        self.message = message
        self.returnValue = returnValue
    }

    /// The return value's name, e.g. `CKR_PIN_INCORRECT`, or its hexadecimal value.
    public var returnValueName: String? {
        returnValue.map { Self.names[$0] ?? "CKR_0x" + String($0, radix: 16) }
    }

    /// True when the token went away or its sessions were closed under us (a reset, a removed device): the sessions
    /// and key handles must be opened and found again.
    var isSessionLost: Bool {
        guard let returnValue else { return false }
        return [
            CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_OBJECT_HANDLE_INVALID,
            CKR_KEY_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN, CKR_CRYPTOKI_NOT_INITIALIZED,
        ]
        .map(UInt.init).contains(returnValue)
    }

    public var description: String { returnValueName.map { "\(message): \($0)" } ?? message }

    private static let names: [UInt: String] = [
        UInt(CKR_GENERAL_ERROR): "CKR_GENERAL_ERROR", UInt(CKR_FUNCTION_FAILED): "CKR_FUNCTION_FAILED",
        UInt(CKR_ARGUMENTS_BAD): "CKR_ARGUMENTS_BAD", UInt(CKR_SLOT_ID_INVALID): "CKR_SLOT_ID_INVALID",
        UInt(CKR_ATTRIBUTE_SENSITIVE): "CKR_ATTRIBUTE_SENSITIVE", UInt(CKR_DEVICE_ERROR): "CKR_DEVICE_ERROR",
        UInt(CKR_DEVICE_REMOVED): "CKR_DEVICE_REMOVED", UInt(CKR_KEY_HANDLE_INVALID): "CKR_KEY_HANDLE_INVALID",
        UInt(CKR_KEY_TYPE_INCONSISTENT): "CKR_KEY_TYPE_INCONSISTENT", UInt(CKR_MECHANISM_INVALID): "CKR_MECHANISM_INVALID",
        UInt(CKR_OBJECT_HANDLE_INVALID): "CKR_OBJECT_HANDLE_INVALID", UInt(CKR_PIN_INCORRECT): "CKR_PIN_INCORRECT",
        UInt(CKR_PIN_LOCKED): "CKR_PIN_LOCKED", UInt(CKR_PIN_EXPIRED): "CKR_PIN_EXPIRED", UInt(CKR_SESSION_CLOSED): "CKR_SESSION_CLOSED",
        UInt(CKR_SESSION_HANDLE_INVALID): "CKR_SESSION_HANDLE_INVALID", UInt(CKR_TOKEN_NOT_PRESENT): "CKR_TOKEN_NOT_PRESENT",
        UInt(CKR_TOKEN_NOT_RECOGNIZED): "CKR_TOKEN_NOT_RECOGNIZED", UInt(CKR_USER_NOT_LOGGED_IN): "CKR_USER_NOT_LOGGED_IN",
        UInt(CKR_BUFFER_TOO_SMALL): "CKR_BUFFER_TOO_SMALL", UInt(CKR_CRYPTOKI_NOT_INITIALIZED): "CKR_CRYPTOKI_NOT_INITIALIZED",
        UInt(CKR_USER_ALREADY_LOGGED_IN): "CKR_USER_ALREADY_LOGGED_IN", UInt(CKR_SESSION_COUNT): "CKR_SESSION_COUNT",
    ]
}
