// libGeoIP (Debian libgeoip-dev) reading Debian's geoip-database
// (/usr/share/GeoIP/GeoIP.dat and GeoIPv6.dat): ip.country.
#ifndef TOLLGATE_CGEOIP_SHIM_H
#define TOLLGATE_CGEOIP_SHIM_H
#include <GeoIP.h>
#endif
