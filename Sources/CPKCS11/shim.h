#ifndef DFNS_CPKCS11_SHIM_H
#define DFNS_CPKCS11_SHIM_H

// Cryptoki 2.40 with CKM_EDDSA and CKK_EC_EDWARDS, as p11-kit ships it (libp11-kit-dev): declarations only. The
// module itself is loaded at run time with dlopen (PKCS11Module), so nothing links against a PKCS#11 library.
#include <p11-kit/pkcs11.h>
#include <dlfcn.h>

#endif
