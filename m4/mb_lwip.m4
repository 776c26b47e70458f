# mb_lwip.m4: find an lwIP 2.1+ source tree to build the stack from.
#
# Default: lwip-src/ in the source directory, where scripts/fetch-lwip puts
# Debian's source package.  --with-lwip-src=DIR takes any other tree.
AC_DEFUN([MB_LWIP_SRC], [
  AC_ARG_WITH([lwip-src],
    [AS_HELP_STRING([--with-lwip-src=DIR],
      [lwIP 2.1 or later source tree (default: SRCDIR/lwip-src, fetched by scripts/fetch-lwip)])],
    [LWIP_SRC=$withval], [LWIP_SRC=$srcdir/lwip-src])
  AC_MSG_CHECKING([for the lwIP source tree])
  AS_IF([test -f "$LWIP_SRC/src/include/lwip/init.h" && test -f "$LWIP_SRC/src/core/tcp.c"], [
    LWIP_SRC=`cd "$LWIP_SRC" && pwd`
    AC_MSG_RESULT([$LWIP_SRC])
  ], [
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([no lwIP source at $LWIP_SRC: run scripts/fetch-lwip (it uses apt-get source lwip; Debian packages: dpkg-dev xz-utils), or pass --with-lwip-src=DIR])
  ])
  mb_lwip_h="$LWIP_SRC/src/include/lwip/init.h"
  LWIP_MAJOR=`grep '^#define LWIP_VERSION_MAJOR' "$mb_lwip_h" | head -n 1 | tr -s ' \t' '  ' | cut -d' ' -f3 | tr -cd 0123456789`
  LWIP_MINOR=`grep '^#define LWIP_VERSION_MINOR' "$mb_lwip_h" | head -n 1 | tr -s ' \t' '  ' | cut -d' ' -f3 | tr -cd 0123456789`
  LWIP_REVISION=`grep '^#define LWIP_VERSION_REVISION' "$mb_lwip_h" | head -n 1 | tr -s ' \t' '  ' | cut -d' ' -f3 | tr -cd 0123456789`
  LWIP_VERSION="$LWIP_MAJOR.$LWIP_MINOR.$LWIP_REVISION"
  AC_MSG_CHECKING([whether lwIP $LWIP_VERSION is 2.1 or later])
  AS_IF([test -n "$LWIP_MAJOR" && test -n "$LWIP_MINOR" &&
         { test "$LWIP_MAJOR" -gt 2 || { test "$LWIP_MAJOR" -eq 2 && test "$LWIP_MINOR" -ge 1; }; }],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([lwIP at $LWIP_SRC is version $LWIP_VERSION; 2.1 or later is required])])
  AC_SUBST([LWIP_SRC])
  AC_SUBST([LWIP_VERSION])
])
