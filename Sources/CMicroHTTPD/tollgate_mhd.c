#include "tollgate_mhd.h"
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

struct MHD_Daemon *tollgate_mhd_start(const char *ipv4_address, uint16_t port,
                                      MHD_AccessHandlerCallback handler, void *handler_context,
                                      MHD_RequestCompletedCallback completed, void *completed_context,
                                      unsigned int thread_count, unsigned int connection_limit,
                                      unsigned int connection_timeout_seconds,
                                      size_t connection_memory_limit_bytes) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, ipv4_address, &address.sin_addr) != 1) {
        errno = EINVAL;
        return NULL;
    }
    /* Suspend/resume: a request waiting on a slow resource (a ledger commit) frees its thread. */
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_context,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_count,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit_bytes,
                            MHD_OPTION_END);
}

uint16_t tollgate_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

unsigned int tollgate_mhd_connection_count(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}

enum MHD_Result tollgate_mhd_respond(struct MHD_Connection *connection, unsigned int status,
                                     const void *body, size_t body_length,
                                     const char *const *header_names, const char *const *header_values,
                                     size_t header_count) {
    struct MHD_Response *response = MHD_create_response_from_buffer(body_length, (void *) body, MHD_RESPMEM_MUST_COPY);
    if (response == NULL) return MHD_NO;
    for (size_t i = 0; i < header_count; i++) {
        MHD_add_response_header(response, header_names[i], header_values[i]);
    }
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}
