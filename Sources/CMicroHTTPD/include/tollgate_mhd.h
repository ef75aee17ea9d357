// libmicrohttpd (Debian libmicrohttpd-dev), with its variadic start function
// wrapped: Swift cannot call C variadics, so the options Tollgate uses are
// fixed parameters here.
#ifndef TOLLGATE_MHD_H
#define TOLLGATE_MHD_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Starts a daemon listening on `ipv4_address` (e.g. "127.0.0.1") and `port`
/// (0 = any free port) with its own threads; NULL on failure (errno is set).
struct MHD_Daemon *tollgate_mhd_start(const char *ipv4_address, uint16_t port,
                                      MHD_AccessHandlerCallback handler, void *handler_context,
                                      MHD_RequestCompletedCallback completed, void *completed_context,
                                      unsigned int thread_count, unsigned int connection_limit,
                                      unsigned int connection_timeout_seconds,
                                      size_t connection_memory_limit_bytes);

/// The port the daemon listens on (useful after asking for port 0); 0 when unknown.
uint16_t tollgate_mhd_bound_port(struct MHD_Daemon *daemon);

/// Connections currently open.
unsigned int tollgate_mhd_connection_count(struct MHD_Daemon *daemon);

/// Queues a response with a copy of `body` and the given headers (names[i]: values[i]).
enum MHD_Result tollgate_mhd_respond(struct MHD_Connection *connection, unsigned int status,
                                     const void *body, size_t body_length,
                                     const char *const *header_names, const char *const *header_values,
                                     size_t header_count);
#endif
