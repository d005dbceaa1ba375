import COpenSSL

/// The leaf certificate (`x5c[0]`) of a `packed` attestation, checked as W3C WebAuthn L2 §8.2.1 asks of it: X.509
/// version 3, subject OU `Authenticator Attestation`, not a CA, and an id-fido-gen-ce-aaguid extension, when present,
/// that is not critical and names the authenticator data's AAGUID.
///
/// The chain is not checked against any root: Dfns accepts passkeys whose attestation no root vouches for (synced
/// passkeys send `none`; dfns-auth.md §3.4 step 5), so the simulator only checks the certificate's own rules.
struct AttestationCertificate {
    /// Verifies with the certificate's public key.
    let verifier: PublicKeyVerifier

    /// Parses DER bytes; 400 when they are not one certificate, 401 when the certificate breaks a rule of §8.2.1.
    init(der: [UInt8], aaguid: [UInt8]) throws(APIError) {
        defer { ERR_clear_error() }
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let certificate = d2i_X509(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return certificate
        }
        guard let certificate = parsed else { throw .badRequest("attStmt.x5c[0] is not a DER X.509 certificate") }
        defer { X509_free(certificate) }
        guard consumed == der.count else { throw .badRequest("attStmt.x5c[0]: \(der.count - consumed) bytes follow the certificate") }
        // X509_get_version counts from 0: 2 is version 3.
        guard X509_get_version(certificate) == 2 else { throw APIError(401, "attestation certificate: not X.509 version 3") }
        guard Self.organizationalUnits(of: certificate).contains("Authenticator Attestation") else {
            throw APIError(401, "attestation certificate: subject OU is not \"Authenticator Attestation\"")
        }
        guard !(try Self.isCertificateAuthority(certificate)) else {
            throw APIError(401, "attestation certificate: basic constraints say CA, it must be CA:FALSE")
        }
        if let extensionValue = try Self.aaguidExtension(of: certificate) {
            // The extension's value is an OCTET STRING holding the 16-byte AAGUID.
            guard extensionValue == [0x04, 0x10] + aaguid else {
                throw APIError(401, "attestation certificate: its AAGUID extension does not match the authenticator data's AAGUID")
            }
        }
        guard let key = X509_get0_pubkey(certificate), let pem = Self.publicKeyPEM(key) else {
            throw .badRequest("attestation certificate: its public key cannot be read")
        }
        do {
            verifier = try PublicKeyVerifier(publicKeyPEM: pem)
        } catch {
            throw .badRequest("attestation certificate: \(error.message)")
        }
    }

    private static func organizationalUnits(of certificate: OpaquePointer) -> [String] {
        guard let subject = X509_get_subject_name(certificate) else { return [] }
        var units: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, index)
            guard index >= 0, let entry = X509_NAME_get_entry(subject, index), let data = X509_NAME_ENTRY_get_data(entry),
                let bytes = ASN1_STRING_get0_data(data)
            else { return units }
            units.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(data))), as: UTF8.self))
        }
    }

    /// True when basic constraints say `cA: TRUE`. Read from the extension's DER, `SEQUENCE { cA BOOLEAN DEFAULT FALSE,
    /// pathLenConstraint INTEGER OPTIONAL }`, since the module's headers do not include OpenSSL's x509v3 API.
    private static func isCertificateAuthority(_ certificate: OpaquePointer) throws(APIError) -> Bool {
        let index = X509_get_ext_by_NID(certificate, NID_basic_constraints, -1)
        guard index >= 0 else { return false }
        guard let found = X509_get_ext(certificate, index), let data = X509_EXTENSION_get_data(found), let bytes = ASN1_STRING_get0_data(data)
        else { throw .badRequest("attestation certificate: its basic constraints cannot be read") }
        let value = Array(UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(data))))
        guard value.count >= 2, value[0] == 0x30, Int(value[1]) == value.count - 2 else {
            throw .badRequest("attestation certificate: its basic constraints are not a short DER SEQUENCE")
        }
        // DER omits a FALSE default, so a present BOOLEAN (01 01 xx) is TRUE; accept a non-DER 00 as FALSE.
        return value.count >= 5 && value[2] == 0x01 && value[3] == 0x01 && value[4] != 0
    }

    /// The DER value of the id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4), nil when absent.
    private static func aaguidExtension(of certificate: OpaquePointer) throws(APIError) -> [UInt8]? {
        guard let oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1) else { return nil }
        defer { ASN1_OBJECT_free(oid) }
        let index = X509_get_ext_by_OBJ(certificate, oid, -1)
        guard index >= 0, let found = X509_get_ext(certificate, index) else { return nil }
        guard X509_EXTENSION_get_critical(found) == 0 else {
            throw APIError(401, "attestation certificate: the AAGUID extension must not be critical")
        }
        guard let data = X509_EXTENSION_get_data(found), let bytes = ASN1_STRING_get0_data(data) else { return [] }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(data))))
    }

    private static func publicKeyPEM(_ key: OpaquePointer) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PUBKEY(bio, key) == 1 else { return nil }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, length > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
