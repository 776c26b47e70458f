/* region.c: shared regions in sealed memfds, mapped on both sides. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "ion.h"

/* Round len up to a whole number of pages; 0 on overflow. */
static size_t
region_pages(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (len > SIZE_MAX - pg)
		return 0;
	return (len + pg - 1) & ~(pg - 1);
}

/* Create, size, seal and map a new region; returns 0 or -errno. */
int
ion_region_create(struct ion_region *reg, const char *name, size_t size)
{
	void	*base;
	int	 fd, err;

	reg->base = NULL;
	reg->size = 0;
	reg->fd = -1;
	size = region_pages(size);
	if (size == 0 || (uint64_t)size > (uint64_t)INT64_MAX)
		return -EINVAL;
	fd = memfd_create(name != NULL ? name : "ion", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	/*
	 * Seal the size: a peer holding the fd can then neither shrink it
	 * (our loads past the new end would raise SIGBUS) nor grow it.
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) < 0)
		goto fail;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto fail;
	reg->base = base;
	reg->size = size;
	reg->fd = fd;
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* Map a region a peer sent us; returns 0 or -errno. */
int
ion_region_map(struct ion_region *reg, int fd)
{
	struct stat	 st;
	void		*base;
	int		 seals;

	reg->base = NULL;
	reg->size = 0;
	reg->fd = -1;
	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return -EINVAL;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return errno == EINVAL ? -EPERM : -errno;
	/* Without these seals the peer could truncate the file under us. */
	if ((seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) !=
	    (F_SEAL_SHRINK | F_SEAL_SEAL))
		return -EPERM;
	if ((uint64_t)st.st_size > SIZE_MAX)
		return -EFBIG;
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	reg->base = base;
	reg->size = (size_t)st.st_size;
	reg->fd = fd;
	return 0;
}

/* Unmap and close; leaves the region zeroed. */
void
ion_region_unmap(struct ion_region *reg)
{
	if (reg->base != NULL)
		munmap(reg->base, reg->size);
	if (reg->fd >= 0)
		close(reg->fd);
	reg->base = NULL;
	reg->size = 0;
	reg->fd = -1;
}

/* Bounds-checked offset to pointer; NULL when [off, off+len) leaves it. */
void *
ion_region_at(const struct ion_region *reg, uint64_t off, uint64_t len)
{
	if (reg->base == NULL || off > reg->size || len > reg->size - off)
		return NULL;
	return (unsigned char *)reg->base + off;
}
