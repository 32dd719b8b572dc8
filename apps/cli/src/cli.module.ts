import { Module } from '@nestjs/common';
import { TokenCommand } from './token.command';

@Module({ providers: [TokenCommand] })
export class CliModule {}
