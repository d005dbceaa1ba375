import CPKCS11
import Foundation
import Synchronization

/// A PKCS#11 module (a `.so` such as SoftHSM2's or an HSM vendor's), loaded once per process and path and initialised
/// for OS locking, so every session may be used from any thread (one thread at a time per session: ``PKCS11Signer``
/// pools them). Modules stay loaded for the life of the process: finalizing one would end every other user's sessions.
final class PKCS11Module: @unchecked Sendable {
    // Safety: `functions` points into the module's own static table, immutable once C_GetFunctionList answered;
    // the module was initialised with CKF_OS_LOCKING_OK, so its functions may be called from several threads.
    private let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    let path: String

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    /// The module at `path`, loaded and initialised the first time.
    static func load(_ path: String) throws(PKCS11Error) -> PKCS11Module {
        try loaded.withLock { (modules: inout [String: PKCS11Module]) throws(PKCS11Error) -> PKCS11Module in
            if let module = modules[path] { return module }
            let module = try PKCS11Module(path: path)
            modules[path] = module
            return module
        }
    }

    private init(path: String) throws(PKCS11Error) {
        self.path = path
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PKCS11Error("the PKCS#11 module \(path) cannot be loaded: \(dlerror().map { String(cString: $0) } ?? "dlopen failed")")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            throw PKCS11Error("\(path) is not a PKCS#11 module (no C_GetFunctionList)")
        }
        let getFunctionList = unsafeBitCast(symbol, to: CK_C_GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        try Self.check(getFunctionList(&list), "C_GetFunctionList of \(path)")
        guard let list else { throw PKCS11Error("\(path) answered no function list") }
        functions = list
        var arguments = CK_C_INITIALIZE_ARGS()
        arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let initialised = withUnsafeMutablePointer(to: &arguments) { functions.pointee.C_Initialize!(UnsafeMutableRawPointer($0)) }
        // Another library of the process may have initialised it already: that is as good.
        if initialised != CKR_CRYPTOKI_ALREADY_INITIALIZED { try Self.check(initialised, "C_Initialize of \(path)") }
    }

    static func check(_ returnValue: CK_RV, _ what: @autoclosure () -> String) throws(PKCS11Error) {
        guard returnValue == CKR_OK else { throw PKCS11Error(what(), returnValue: UInt(returnValue)) }
    }

    /// The slot holding the token labelled `label` (labels are 32 bytes padded with spaces).
    func slot(tokenLabel label: String) throws(PKCS11Error) -> CK_SLOT_ID {
        var count: CK_ULONG = 0
        try Self.check(functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), nil, &count), "C_GetSlotList of \(path)")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try Self.check(functions.pointee.C_GetSlotList!(CK_BBOOL(CK_TRUE), &slots, &count), "C_GetSlotList of \(path)")
        for slot in slots.prefix(Int(count)) {
            var info = CK_TOKEN_INFO()
            guard functions.pointee.C_GetTokenInfo!(slot, &info) == CKR_OK else { continue }
            let text = withUnsafeBytes(of: info.label) { String(decoding: $0, as: UTF8.self) }
            if text.trimmingCharacters(in: .whitespaces) == label { return slot }
        }
        throw PKCS11Error("no token labelled \"\(label)\" in \(path) (\(count) token\(count == 1 ? "" : "s") present)")
    }

    /// Checks that `slot` holds a token.
    func checkToken(inSlot slot: CK_SLOT_ID) throws(PKCS11Error) {
        var info = CK_TOKEN_INFO()
        try Self.check(functions.pointee.C_GetTokenInfo!(slot, &info), "the token in slot \(slot) of \(path)")
    }

    func openSession(_ slot: CK_SLOT_ID) throws(PKCS11Error) -> CK_SESSION_HANDLE {
        var session: CK_SESSION_HANDLE = 0
        try Self.check(functions.pointee.C_OpenSession!(slot, CK_FLAGS(CKF_SERIAL_SESSION), nil, nil, &session), "C_OpenSession on slot \(slot)")
        return session
    }

    func closeSession(_ session: CK_SESSION_HANDLE) {
        _ = functions.pointee.C_CloseSession!(session)
    }

    /// Logs the user in; a token whose sessions share a login already is as good (PKCS#11 logs in per application).
    func login(_ session: CK_SESSION_HANDLE, pin: String) throws(PKCS11Error) {
        var bytes = Array(pin.utf8)
        let answer = functions.pointee.C_Login!(session, CK_USER_TYPE(CKU_USER), &bytes, CK_ULONG(bytes.count))
        for index in bytes.indices { bytes[index] = 0 }
        if answer == CKR_USER_ALREADY_LOGGED_IN { return }
        try Self.check(answer, "C_Login")
    }

    /// The objects of `objectClass` whose `attribute` is `value`.
    func find(_ session: CK_SESSION_HANDLE, objectClass: CK_OBJECT_CLASS, attribute: CK_ATTRIBUTE_TYPE, value: [UInt8]) throws(PKCS11Error)
        -> [CK_OBJECT_HANDLE]
    {
        var objectClass = objectClass
        var value = value
        let found = withUnsafeMutableBytes(of: &objectClass) { classBytes in
            value.withUnsafeMutableBytes { valueBytes in
                var template = [
                    CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(CKA_CLASS), pValue: classBytes.baseAddress, ulValueLen: CK_ULONG(classBytes.count)),
                    CK_ATTRIBUTE(type: attribute, pValue: valueBytes.baseAddress, ulValueLen: CK_ULONG(valueBytes.count)),
                ]
                let started = functions.pointee.C_FindObjectsInit!(session, &template, CK_ULONG(template.count))
                guard started == CKR_OK else { return (started, [CK_OBJECT_HANDLE]()) }
                var handles = [CK_OBJECT_HANDLE](repeating: 0, count: 8)
                var count: CK_ULONG = 0
                let answer = functions.pointee.C_FindObjects!(session, &handles, CK_ULONG(handles.count), &count)
                _ = functions.pointee.C_FindObjectsFinal!(session)
                return (answer, Array(handles.prefix(Int(count))))
            }
        }
        try Self.check(found.0, "C_FindObjects")
        return found.1
    }

    /// An attribute's value, or nil when the object has none (or it is sensitive).
    func attribute(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: CK_ATTRIBUTE_TYPE) throws(PKCS11Error) -> [UInt8]? {
        var template = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        let sized = functions.pointee.C_GetAttributeValue!(session, object, &template, 1)
        if sized == CKR_ATTRIBUTE_TYPE_INVALID || sized == CKR_ATTRIBUTE_SENSITIVE { return nil }
        try Self.check(sized, "C_GetAttributeValue")
        guard template.ulValueLen != CK_ULONG.max else { return nil }
        var value = [UInt8](repeating: 0, count: Int(template.ulValueLen))
        let answer = value.withUnsafeMutableBytes { bytes in
            template.pValue = bytes.baseAddress
            return functions.pointee.C_GetAttributeValue!(session, object, &template, 1)
        }
        try Self.check(answer, "C_GetAttributeValue")
        return Array(value.prefix(Int(template.ulValueLen)))
    }

    /// Signs `data` with `key` by `mechanism` (no parameter), on `session`: C_SignInit and C_Sign back to back.
    func sign(_ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, mechanism: CK_MECHANISM_TYPE, data: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        var mechanism = CK_MECHANISM(mechanism: mechanism, pParameter: nil, ulParameterLen: 0)
        try Self.check(functions.pointee.C_SignInit!(session, &mechanism, key), "C_SignInit")
        var input = data
        // RSA 4096 is the longest signature a key Dfns takes produces.
        var output = [UInt8](repeating: 0, count: 512)
        var length = CK_ULONG(output.count)
        try Self.check(functions.pointee.C_Sign!(session, &input, CK_ULONG(input.count), &output, &length), "C_Sign")
        return Array(output.prefix(Int(length)))
    }
}
