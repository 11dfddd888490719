/* The static release binary links libpq.a, which Debian builds with GSSAPI (Kerberos) and LDAP support. Neither
 * ships a static library, and the signer uses neither: it connects to PostgreSQL with a password (SCRAM) over TLS.
 * These definitions answer every GSSAPI and LDAP call libpq can make with failure, so libpq behaves as if built
 * without them: gssencmode=prefer falls back to TLS, gssencmode=require and ldap:// service lookups fail with
 * libpq's own error message. Compiled into the static build only (cmake/static.cmake). */
#include <stddef.h>

typedef unsigned int OM_uint32;
#define GSS_S_FAILURE (13u << 16)
#define LDAP_NOT_SUPPORTED (-12)

/* GSSAPI: every call fails; no credentials cache exists. Each takes the minor status first; the caller's other
 * arguments are ignored (the caller owns and clears them under the x86-64 and AArch64 calling conventions). */
#define GSS_FAIL(name) \
  OM_uint32 name(OM_uint32* minor); \
  OM_uint32 name(OM_uint32* minor) { \
    if (minor) *minor = 0; \
    return GSS_S_FAILURE; \
  }
GSS_FAIL(gss_acquire_cred)
GSS_FAIL(gss_delete_sec_context)
GSS_FAIL(gss_display_status)
GSS_FAIL(gss_import_name)
GSS_FAIL(gss_init_sec_context)
GSS_FAIL(gss_release_buffer)
GSS_FAIL(gss_release_cred)
GSS_FAIL(gss_release_name)
GSS_FAIL(gss_unwrap)
GSS_FAIL(gss_wrap)
GSS_FAIL(gss_wrap_size_limit)

/* The name type libpq passes to gss_import_name: never dereferenced, since that call fails. */
void* GSS_C_NT_HOSTBASED_SERVICE = NULL;

/* LDAP (service lookups from pg_service.conf): ldap_init fails, so nothing else is reached. */
void* ldap_init(const char* host, int port) { (void)host; (void)port; return NULL; }
int ldap_set_option(void* ld, int option, const void* value) { (void)ld; (void)option; (void)value; return LDAP_NOT_SUPPORTED; }
int ldap_simple_bind(void* ld, const char* who, const char* passwd) { (void)ld; (void)who; (void)passwd; return LDAP_NOT_SUPPORTED; }
int ldap_search_st(void* ld, const char* base, int scope, const char* filter, char** attrs, int attrsonly,
                   void* timeout, void** res) {
  (void)ld; (void)base; (void)scope; (void)filter; (void)attrs; (void)attrsonly; (void)timeout;
  if (res) *res = NULL;
  return LDAP_NOT_SUPPORTED;
}
int ldap_result(void* ld, int msgid, int all, void* timeout, void** result) {
  (void)ld; (void)msgid; (void)all; (void)timeout;
  if (result) *result = NULL;
  return -1;
}
int ldap_count_entries(void* ld, void* chain) { (void)ld; (void)chain; return 0; }
void* ldap_first_entry(void* ld, void* chain) { (void)ld; (void)chain; return NULL; }
void** ldap_get_values_len(void* ld, void* entry, const char* target) { (void)ld; (void)entry; (void)target; return NULL; }
void ldap_value_free_len(void** vals) { (void)vals; }
int ldap_msgfree(void* msg) { (void)msg; return 0; }
int ldap_unbind(void* ld) { (void)ld; return 0; }
char* ldap_err2string(int err) { (void)err; return (char*)"LDAP is not available in this build"; }
