/**
 * The image service's repositories over one database: images (with lists and usage),
 * members, tags, import tasks. Metadata definitions have their own (metadef.repo.ts).
 */
import type { Kysely } from 'kysely'
import { ImageRepository } from './image.repo.js'
import { ImageMemberRepository } from './image-member.repo.js'
import { ImageTagRepository } from './image-tag.repo.js'
import { ImageTaskRepository } from './image-task.repo.js'
import type { ImageDatabase } from './schema.js'

export interface ImageRepos {
  images: ImageRepository
  members: ImageMemberRepository
  tags: ImageTagRepository
  tasks: ImageTaskRepository
}

export function imageRepos(db: Kysely<ImageDatabase>): ImageRepos {
  return {
    images: new ImageRepository(db),
    members: new ImageMemberRepository(db),
    tags: new ImageTagRepository(db),
    tasks: new ImageTaskRepository(db),
  }
}
