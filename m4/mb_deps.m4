# mb_deps.m4: dependency checks that name the Debian package to install.

# MB_REQUIRE_PKG(VAR, MODULES, DEBIAN-PACKAGE)
# pkg-config check; on failure stop and say which package provides it.
AC_DEFUN([MB_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found: install the Debian package $3 (apt-get install $3)])])
])

# MB_CHECK_CC_FLAGS(FLAGS, [IF-OK], [IF-NOT])
# Does the compiler compile and link a program with FLAGS?
AC_DEFUN([MB_CHECK_CC_FLAGS], [
  AC_MSG_CHECKING([whether $CC accepts $1])
  mb_save_CFLAGS=$CFLAGS
  mb_save_LDFLAGS=$LDFLAGS
  CFLAGS="$CFLAGS $1"
  LDFLAGS="$LDFLAGS $1"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[]], [[return 0;]])],
    [AC_MSG_RESULT([yes]); $2], [AC_MSG_RESULT([no]); $3])
  CFLAGS=$mb_save_CFLAGS
  LDFLAGS=$mb_save_LDFLAGS
])
